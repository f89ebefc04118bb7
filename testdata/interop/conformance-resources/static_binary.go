package resources

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/project/tools"
)

func StaticBinary(resource *mcp.Resource, deps *tools.Deps) mcp.ResourceHandler {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{
			{URI: resource.URI, MIMEType: "image/png", Blob: buf.Bytes()},
		}}, nil
	}
}

package resources

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/project/tools"
)

func TemplateData(template *mcp.ResourceTemplate, deps *tools.Deps) (mcp.ResourceHandler, Complete) {
	return func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		rest, hasPrefix := strings.CutPrefix(req.Params.URI, "test://template/")
		id, hasSuffix := strings.CutSuffix(rest, "/data")
		if !hasPrefix || !hasSuffix || id == "" || strings.Contains(id, "/") {
			return nil, mcp.ResourceNotFoundError(req.Params.URI)
		}
		body, err := json.Marshal(map[string]any{"id": id, "templateTest": true, "data": "Data for ID: " + id})
		if err != nil {
			return nil, err
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{
			{URI: req.Params.URI, MIMEType: "application/json", Text: string(body)},
		}}, nil
	}, nil
}

package tools

// Media for the MCP conformance suite's fixture tools: a 1x1 red PNG and a
// short silent WAV, made here rather than stored.

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
)

func redPixelPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// silentWAV is 10 ms of 8 kHz, 8-bit mono silence.
func silentWAV() []byte {
	samples := bytes.Repeat([]byte{128}, 80)
	var buf bytes.Buffer
	le := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	buf.WriteString("RIFF")
	le(uint32(36 + len(samples)))
	buf.WriteString("WAVEfmt ")
	le(uint32(16))   // fmt chunk size
	le(uint16(1))    // PCM
	le(uint16(1))    // mono
	le(uint32(8000)) // sample rate
	le(uint32(8000)) // byte rate
	le(uint16(1))    // block align
	le(uint16(8))    // bits per sample
	buf.WriteString("data")
	le(uint32(len(samples)))
	buf.Write(samples)
	return buf.Bytes()
}

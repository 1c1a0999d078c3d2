package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/taktledger/takt/domain"
)

// decode reads exactly one JSON object into v, refusing a body that is not JSON, over the size limit,
// empty, malformed, with unknown fields, with values of the wrong type, or followed by more data. Each
// refusal is an EINVALID error naming the field and the rule.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	// A JSON Content-Type is required, not assumed: a browser sends one only after a CORS preflight,
	// which takt answers with nothing, so no other site's page can post a command.
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		if ct == "" {
			ct = "no Content-Type"
		}
		return domain.Invalid("Content-Type", "media_type", "The body must be JSON (Content-Type: application/json), not %s.", ct)
	}
	// The body is read whole before decoding so that a body over the limit is refused as such, not
	// as whatever JSON error the cut happens to produce.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return domain.Invalid("body", "max_size", "The body is larger than %d bytes.", s.MaxBodyBytes)
	} else if err != nil {
		return domain.Invalid("body", "read", "The body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return domain.Invalid("body", "required", "The body must be a JSON object; it is empty.")
	}
	if trimmed := bytes.TrimSpace(body); string(trimmed) == "null" {
		// encoding/json takes null for an empty command; it is not an object.
		return domain.Invalid("body", "type", "The body must be a JSON object, not null.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, body, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.Invalid("body", "json", "The body holds more than one JSON value: data follows at byte %d.", dec.InputOffset())
	}
	return nil
}

// jsonError translates a decoding error of encoding/json into the field and the rule it broke.
func jsonError(err error, body []byte, v any) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return domain.Invalid("body", "json", "The body is not valid JSON at byte %d: %s.", syntax.Offset, syntax.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Invalid("body", "json", "The body is not valid JSON at byte %d: it ends in the middle of a value.", len(body))
	case errors.As(err, &typ):
		field := pathAt(body, typ.Offset)
		if field == "" {
			field = "body"
		}
		return domain.Invalid(field, "type", "%s must be a JSON %s, not %s (at byte %d).", field, jsonType(typ.Type.Kind().String()), typ.Value, typ.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for this; its message is stable since Go 1.10.
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			return domain.Invalid("body", "unknown_field", "The body holds a field this command does not have.")
		}
		field := unknownFieldPath(body, v, name)
		return domain.Invalid(field, "unknown_field", "%s is not a field of this command.", field)
	}
	return domain.Invalid("body", "json", "The body is not valid JSON: %s.", err.Error())
}

// jsonType names the JSON type that a Go kind is decoded from.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr", "interface":
		return "object"
	}
	return "number"
}

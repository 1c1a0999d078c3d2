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

// decode reads exactly one JSON object into v, refusing unknown fields, wrong types, trailing data
// and bodies over the limit, with an EINVALID error that names the field and the rule.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return domain.Invalid("Content-Type", "media_type", "The body must be JSON (application/json).")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return domain.Invalid("body", "max_size", "The body is larger than %d bytes.", s.MaxBodyBytes)
	} else if err != nil {
		return domain.Invalid("body", "read", "The body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return domain.Invalid("body", "required", "The body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return domain.Invalid("body", "json", "The body holds more than one JSON value.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.Invalid("body", "json", "The body holds data after its JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return domain.Invalid("body", "json", "The body is not valid JSON at byte %d: %s.", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return domain.Invalid(field, "type", "%s must be of JSON type %s, not %s.", field, jsonType(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Invalid("body", "json", "The body ends in the middle of its JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return domain.Invalid(name, "unknown_field", "%s is not a field of this command.", name)
	}
	return domain.Invalid("body", "json", "The body is not valid JSON: %s.", err.Error())
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return "number"
}

// ifMatch reads If-Match: a strong ETag, "12", or the bare sequence 12.
func ifMatch(r *http.Request) (uint64, bool, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(strings.Trim(v, `"`), 10, 64)
	if err != nil || strings.HasPrefix(v, "W/") {
		return 0, false, domain.Invalid("If-Match", "etag", "If-Match must be the ETag of the aggregate, a stream sequence like \"12\".")
	}
	return n, true, nil
}

func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if len(k) > 200 {
		return "", domain.Invalid("Idempotency-Key", "max_length", "Idempotency-Key is longer than 200 characters.")
	}
	for _, c := range k {
		if c < 0x21 || c > 0x7e {
			return "", domain.Invalid("Idempotency-Key", "printable", "Idempotency-Key must be printable ASCII without spaces.")
		}
	}
	return k, nil
}

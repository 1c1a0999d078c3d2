package api

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/taktledger/takt/domain"
)

// OpenAPI returns the OpenAPI 3.1 description of the HTTP API, generated from the route table and
// the command types themselves, so that it cannot drift from what the server accepts. It is JSON,
// which is YAML too; docs/openapi.yaml is a copy that a test keeps equal.
func OpenAPI() []byte {
	schemas := map[string]any{}
	paths := map[string]any{}
	for _, c := range commands {
		cmd := c.new(&http.Request{})
		t := reflect.TypeOf(cmd).Elem()
		schemas[t.Name()] = schemaOf(t, schemas)
		params := []any{ref("#/components/parameters/tenant")}
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(c.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		params = append(params, ref("#/components/parameters/If-Match"), ref("#/components/parameters/Idempotency-Key"))
		paths["/v1/tenants/{tenant}"+c.path] = map[string]any{"post": map[string]any{
			"operationId": lowerFirst(t.Name()),
			"summary":     summary(t.Name()),
			"parameters":  params,
			"requestBody": map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": ref("#/components/schemas/" + t.Name())}}},
			"responses": responses(),
		}}
	}
	for _, q := range queries {
		t := reflect.TypeOf(q.result)
		name := upperFirst(t.Name())
		schemas[name] = schemaOf(t, schemas)
		params := []any{ref("#/components/parameters/tenant")}
		inPath := regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(q.path, -1)
		for _, m := range inPath {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range append(q.params[:len(q.params):len(q.params)], readParams...) {
			params = append(params, queryParam(p))
		}
		// What a 404 names: the tenant, the entity of the path, the period or organ a filter names.
		unknown := []string{"tenant"}
		if len(inPath) > 0 {
			unknown = append(unknown, "entity")
		}
		for _, p := range q.params {
			switch p.name {
			case "period":
				unknown = append(unknown, "mandate period the period filter names")
			case "organ":
				unknown = append(unknown, "organ the organ filter names")
			}
		}
		content := map[string]any{"application/json": map[string]any{"schema": ref("#/components/schemas/" + name)}}
		if q.path == "/audit" {
			content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string",
				"description": "A header line of the columns " + strings.Join(domain.AuditColumns, ", ") + ", then one line per row."}}
		}
		operation(paths, "/v1/tenants/{tenant}"+q.path, "get", map[string]any{
			"operationId": q.id,
			"summary":     q.summary,
			"parameters":  params,
			"responses": map[string]any{
				"200": map[string]any{"description": "The answer, as of the read options.", "content": content},
				"400": problemResponse("A malformed or unknown parameter, or a min_seq beyond the head of the log (rule in_log): the field and the rule."),
				"404": problemResponse("Unknown " + strings.Join(unknown, ", or ") + "."),
				"503": problemResponse("The projection has not reached min_seq in time (field min_seq, rule applied), or is not open. Retry-After says when to ask again."),
			},
		})
	}
	paths["/v1/tenants/{tenant}/{kinds}/{id}/events"] = map[string]any{"get": map[string]any{
		"operationId": "aggregateEvents",
		"summary":     "The events of one aggregate, in order; the ETag is its last event's stream sequence.",
		"parameters": []any{ref("#/components/parameters/tenant"),
			map[string]any{"name": "kinds", "in": "path", "required": true, "schema": map[string]any{"type": "string",
				"enum": []string{"organs", "periods", "visions", "goals", "indicators", "commitments", "followups"}}},
			map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
		"responses": map[string]any{"200": map[string]any{"description": "The events."}, "404": problemResponse("Unknown tenant or aggregate.")},
	}}
	for _, st := range []struct{ path, id, summary, fields string }{
		{"/events", "eventStream", "The tenant's events, live, as server-sent events: id is the stream sequence, event the event type, data the event as JSON.",
			"`id: <sequence>`, `event: <type>` and one line of `data: {id, type, seq, time, effective, period, actor, organ, data}`"},
		{"/live", "liveStream", "Projection updates as server-sent events, each sent once the read models have applied its event, so that a read with min_seq=id shows it.",
			"`id: <sequence>` and one line of `data: {seq, type, kind, id, organ, period, effective}`"},
	} {
		params := []any{ref("#/components/parameters/tenant"), map[string]any{"name": "Last-Event-ID", "in": "header",
			"description": "The last id received: the stream resumes after it, with no gap and no duplicate.", "schema": map[string]any{"type": "integer", "minimum": 0}}}
		for _, p := range streamParams {
			params = append(params, queryParam(p))
		}
		paths["/v1/tenants/{tenant}"+st.path] = map[string]any{"get": map[string]any{
			"operationId": st.id,
			"summary":     st.summary,
			"description": "Each message is " + st.fields + ". A comment line is sent every 15 s when nothing else is; it carries the id of the " +
				"last sequence passed when filters left events out. A client that falls too far behind is disconnected and should reconnect with Last-Event-ID.",
			"parameters": params,
			"responses": map[string]any{
				"200": map[string]any{"description": "An endless text/event-stream.", "content": map[string]any{
					"text/event-stream": map[string]any{"schema": map[string]any{"type": "string"}}}},
				"400": problemResponse("A malformed or unknown parameter, or a Last-Event-ID that is not a sequence."),
				"404": problemResponse("Unknown tenant."),
				"503": problemResponse("The server follows no log or keeps no read models, or is shutting down."),
			},
		}}
	}
	paths["/"] = map[string]any{"get": map[string]any{"operationId": "dashboard",
		"summary": "The dashboard: an HTML page whose files are under /assets/; ?tenant= picks the tenant (default demo).",
		"responses": map[string]any{"200": map[string]any{"description": "The page.", "content": map[string]any{
			"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}}}}}
	qp := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "description": desc, "schema": map[string]any{"type": "integer", "minimum": 1}}
	}
	paths["/v1/tenants/{tenant}/checkpoints"] = map[string]any{"get": map[string]any{
		"operationId": "listCheckpoints",
		"summary":     "Every signed checkpoint of the tenant's log, in order: tree size, root hash and the signed note (docs/auditing.md).",
		"parameters":  []any{ref("#/components/parameters/tenant")},
		"responses": map[string]any{"200": map[string]any{"description": "The checkpoints."},
			"404": problemResponse("Unknown tenant.")},
	}}
	paths["/v1/tenants/{tenant}/proof"] = map[string]any{"get": map[string]any{
		"operationId": "proof",
		"summary":     "With seq (and size): the Merkle inclusion proof of one event in the tree of size events, by default the last checkpoint's. With from and to: the consistency proof between two tree sizes.",
		"parameters": []any{ref("#/components/parameters/tenant"), qp("seq", "The event's stream sequence."),
			qp("size", "The tree size to prove against; default the last checkpoint's."),
			qp("from", "The smaller tree size."), qp("to", "The larger tree size.")},
		"responses": map[string]any{"200": map[string]any{"description": "The proof, hashes in base64."},
			"400": problemResponse("Neither seq nor from and to, or out of range."),
			"404": problemResponse("Unknown tenant, or a tree size not held.")},
	}}
	paths["/v1/tenants/{tenant}/log"] = map[string]any{"get": map[string]any{
		"operationId": "rawLog",
		"summary": "The tenant's events as stored, a page at a time: sequence, subject, Nats-Msg-Id, body and storage time, " +
			"all that an event's leaf hash covers (docs/auditing.md), for an auditor who rebuilds the Merkle tree.",
		"parameters": append([]any{ref("#/components/parameters/tenant")}, queryParams(logParams)...),
		"responses": map[string]any{"200": map[string]any{"description": "`{from, next, head, records: [{seq, subject, msg_id, data, stored}]}`, " +
			"data the body in standard base64: ask again from next while next <= head."},
			"400": problemResponse("from or limit is not a whole number, limit is above 10000, or a parameter is unknown or repeated."),
			"404": problemResponse("Unknown tenant."),
			"503": problemResponse("The log cannot be reached, or this server does not serve it as stored.")},
	}}
	paths["/healthz"] = map[string]any{"get": map[string]any{"operationId": "healthz", "summary": "Alive.",
		"responses": map[string]any{"200": map[string]any{"description": "ok"}}}}
	paths["/readyz"] = map[string]any{"get": map[string]any{"operationId": "readyz",
		"summary": "Ready: JetStream answers, every tenant's stream exists, every projection is close to its log's head.",
		"responses": map[string]any{
			"200": map[string]any{"description": `{"status":"ready","checks":[{"name","ok","detail"}]}`},
			"503": map[string]any{"description": `{"status":"not_ready","failed":[names of the failed checks],"checks":[...]}`},
		}}}
	paths["/metrics"] = map[string]any{"get": map[string]any{"operationId": "metrics", "summary": "Prometheus metrics (docs/operations.md).",
		"responses": map[string]any{"200": map[string]any{"description": "The Prometheus text format."}}}}
	paths["/v1/openapi.yaml"] = map[string]any{"get": map[string]any{"operationId": "openapi", "summary": "This document.",
		"responses": map[string]any{"200": map[string]any{"description": "OpenAPI 3.1"}}}}

	schemas["TokenRequest"] = schemaOf(reflect.TypeOf(tokenRequest{}), schemas)
	schemas["Token"] = schemaOf(reflect.TypeOf(domain.Token{}), schemas)
	schemas["CreatedToken"] = schemaOf(reflect.TypeOf(createdToken{}), schemas)
	schemas["Tokens"] = schemaOf(reflect.TypeOf(tokensAnswer{}), schemas)
	tokenContent := func(name string) map[string]any {
		return map[string]any{"application/json": map[string]any{"schema": ref("#/components/schemas/" + name)}}
	}
	paths["/v1/tenants/{tenant}/tokens"] = map[string]any{
		"get": map[string]any{"operationId": "listTokens", "summary": "The tenant's bearer tokens, revoked ones too; never the tokens themselves.",
			"parameters": []any{ref("#/components/parameters/tenant")},
			"responses": map[string]any{"200": map[string]any{"description": "The tokens, oldest first.", "content": tokenContent("Tokens")},
				"404": problemResponse("Unknown tenant.")}},
		"post": map[string]any{"operationId": "createToken",
			"summary":     "Create a bearer token for a role (and, for a secretary or reporter, an organ): the answer is the only time it is shown.",
			"parameters":  []any{ref("#/components/parameters/tenant")},
			"requestBody": map[string]any{"required": true, "content": tokenContent("TokenRequest")},
			"responses": map[string]any{"201": map[string]any{"description": "The token and its description.", "content": tokenContent("CreatedToken")},
				"400": problemResponse("Malformed input: the field and the rule."), "404": problemResponse("Unknown tenant."),
				"422": problemResponse("The organ is not registered in the tenant, or has been dissolved.")}},
	}
	paths["/v1/tenants/{tenant}/tokens/{id}/revoke"] = map[string]any{"post": map[string]any{"operationId": "revokeToken",
		"summary": "Revoke a token: it is refused from the next request on. Revoking a revoked token changes nothing.",
		"parameters": []any{ref("#/components/parameters/tenant"),
			map[string]any{"name": "id", "in": "path", "required": true, "schema": str()}},
		"responses": map[string]any{"200": map[string]any{"description": "The token, revoked.", "content": tokenContent("Token")},
			"404": problemResponse("Unknown tenant or token.")}}}
	documentAccess(paths)

	schemas["Receipt"] = map[string]any{"type": "object", "required": []string{"id", "kind", "etag", "events"}, "properties": map[string]any{
		"id": str(), "kind": str(), "etag": map[string]any{"type": "integer", "description": "the target aggregate's last stream sequence"},
		"events": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
			"id": str(), "type": str(), "subject": str(), "seq": map[string]any{"type": "integer"}}}}}}
	schemas["Problem"] = map[string]any{"type": "object", "description": "RFC 9457 problem details with takt's code, field and rule.",
		"properties": map[string]any{"type": str(), "title": str(), "status": map[string]any{"type": "integer"}, "detail": str(),
			"code": map[string]any{"type": "string", "enum": []string{domain.EINVALID, domain.ENOTFOUND, domain.ECONFLICT, domain.ERULE,
				domain.EUNAVAILABLE, domain.EINTERNAL, domain.EUNAUTHORIZED, domain.EFORBIDDEN, domain.ELIMIT, eMethod}},
			"field": str(), "rule": str(), "instance": str()}}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "takt", "version": "1",
			"description": "The ledger of a municipality's planning decisions. Every command appends immutable events; errors are problem+json naming the field and the rule."},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []string{}}},
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer",
				"description": "A takt token (takt token create, or POST /tokens), or a JWT of the identity provider takt is configured to trust. docs/security.md."},
		}, "parameters": map[string]any{
			"tenant": map[string]any{"name": "tenant", "in": "path", "required": true, "schema": map[string]any{"type": "string", "pattern": "^[a-z][a-z0-9-]{0,39}$"}},
			"If-Match": map[string]any{"name": "If-Match", "in": "header", "schema": str(),
				"description": "The ETag (stream sequence) of the aggregate as read: the command fails with 409 if it has changed."},
			"Idempotency-Key": map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string", "maxLength": 200},
				"description": "A retried request with the same key is stored once and answered as the first time (Idempotent-Replayed: true); the key used again for another request is refused with 422 (rule key_reused). Each credential's keys are its own."},
		}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}

// documentAccess documents who may use each operation, from the routes themselves: the roles, and the
// 401, 403 and 429 answers; the routes outside the tenants ask for no credential.
func documentAccess(paths map[string]any) {
	for _, a := range AccessTable() {
		ops, _ := paths[strings.TrimSuffix(a.Path, "{$}")].(map[string]any)
		op, _ := ops[strings.ToLower(a.Method)].(map[string]any)
		if op == nil {
			continue // the dashboard's files
		}
		if a.Roles == nil {
			op["security"] = []any{}
			continue
		}
		op["x-takt-roles"] = a.Roles
		forbidden := "The token is another tenant's, or its role is not " + domain.RoleNames(a.Roles) + "."
		if a.Organ {
			forbidden += " Or its organ may not record this: the field names what is outside the organ's reach (docs/security.md)."
		}
		responses := op["responses"].(map[string]any)
		responses["401"] = problemResponse("No bearer token, or one that is malformed, unknown, expired or revoked; WWW-Authenticate says which.")
		responses["403"] = problemResponse(forbidden)
		responses["429"] = problemResponse("Too many requests with this token; Retry-After says when to try again.")
	}
}

func responses() map[string]any {
	receipt := map[string]any{"application/json": map[string]any{"schema": ref("#/components/schemas/Receipt")}}
	return map[string]any{
		"201": map[string]any{"description": "Created: the events appended, with their sequences; ETag and Location headers.", "content": receipt},
		"200": map[string]any{"description": "Recorded: the events appended, with their sequences; ETag header.", "content": receipt},
		"400": problemResponse("Malformed input: the field and the rule."),
		"404": problemResponse("Unknown tenant or aggregate."),
		"409": problemResponse("If-Match is stale, or the id exists."),
		"422": problemResponse("A rule of the ledger refuses the command."),
		"503": problemResponse("The log cannot be reached."),
	}
}

func problemResponse(desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{
		"application/problem+json": map[string]any{"schema": ref("#/components/schemas/Problem")}}}
}

func ref(r string) map[string]any { return map[string]any{"$ref": r} }
func str() map[string]any         { return map[string]any{"type": "string"} }

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }
func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func queryParams(ps []param) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = queryParam(p)
	}
	return out
}

func queryParam(p param) map[string]any {
	schema := map[string]any{"type": p.typ}
	if p.typ == "date" {
		schema = map[string]any{"type": "string", "format": "date"}
	}
	if len(p.enum) > 0 {
		schema["enum"] = p.enum
	}
	return map[string]any{"name": p.name, "in": "query", "description": p.desc, "schema": schema}
}

func summary(name string) string {
	words := regexp.MustCompile(`[A-Z][a-z]*`).FindAllString(name, -1)
	return strings.ToUpper(words[0][:1]) + strings.ToLower(strings.Join(words, " ")[1:]) + "."
}

// schemaOf describes a struct by its JSON fields: a field without omitempty is required.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			props[name] = typeSchema(f.Type, schemas)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
	}
	walk(t)
	s := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func typeSchema(t reflect.Type, schemas map[string]any) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t != reflect.TypeOf(time.Time{}) && t.Implements(reflect.TypeFor[encoding.TextMarshaler]()):
		return str()
	case t == reflect.TypeOf(time.Time{}):
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeOf(json.RawMessage{}), t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem(), schemas)}
	case t == reflect.TypeFor[domain.Diff]():
		return map[string]any{"type": "object", "additionalProperties": typeSchema(reflect.TypeFor[domain.Change](), schemas)}
	case t.Kind() == reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case t == reflect.TypeOf(domain.Date("")):
		return map[string]any{"type": "string", "format": "date"}
	case t.Kind() == reflect.String:
		return str()
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() == reflect.Int:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem(), schemas)}
	case t.Kind() == reflect.Struct:
		if _, ok := schemas[t.Name()]; !ok {
			schemas[t.Name()] = nil // reserve, for types that refer to themselves
			schemas[t.Name()] = schemaOf(t, schemas)
		}
		return ref("#/components/schemas/" + t.Name())
	}
	return map[string]any{}
}

// operation adds the operation of method on path, beside any other method's.
func operation(paths map[string]any, path, method string, op map[string]any) {
	ops, _ := paths[path].(map[string]any)
	if ops == nil {
		ops = map[string]any{}
		paths[path] = ops
	}
	ops[method] = op
}

package httpapi

import "encoding/json"

// openAPI describes the routes (GET /openapi.json). It is built once from
// a Go value so it is always valid JSON; TestOpenAPI checks it names every
// route the router serves.
var openAPI = mustJSON(openAPIDoc())

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

type obj = map[string]any

func openAPIDoc() obj {
	errResp := func(desc string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}}
	}
	resultResp := obj{"description": "The command's reply", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Result"}}}}
	common := obj{
		"400": errResp("The command failed, or the request is malformed (the error names which)"),
		"401": errResp("No, unknown, expired or revoked access key (WWW-Authenticate: Bearer)"),
		"403": errResp("The key lacks a permission or the surface"),
		"413": errResp("Body or payload over the limit"),
		"429": errResp("Rate limit or monthly operations quota (Retry-After)"),
		"503": errResp("Control plane unavailable"),
		"507": errResp("Storage or key quota"),
	}
	with := func(ok obj) obj {
		out := obj{"200": ok}
		for k, v := range common {
			out[k] = v
		}
		return out
	}
	encoding := obj{"name": "Upstash-Encoding", "in": "header", "required": false,
		"description": "base64: every string of the reply is base64 (binary-safe)", "schema": obj{"type": "string", "enum": []string{"base64"}}}
	command := obj{"type": "array", "minItems": 1, "items": obj{"oneOf": []obj{{"type": "string"}, {"type": "number"}}},
		"example": []any{"SET", "key", "value"}}
	listBody := obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "array", "items": command}}}}
	listResp := obj{"description": "One result or error per command, in order", "content": obj{"application/json": obj{"schema": obj{"type": "array", "items": obj{"$ref": "#/components/schemas/Result"}}}}}
	return obj{
		"openapi": "3.1.0",
		"info": obj{"title": "Synap HTTP API", "version": "1",
			"description": "REST compatible with the Upstash REST API, Server-Sent Events for pub/sub, WebSocket at /ws, MCP at /mcp. Every route but /health, /openapi.json needs Authorization: Bearer <access key> when the server requires authentication; keys in the query string are refused."},
		"components": obj{
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}},
			"schemas": obj{
				"Result":  obj{"oneOf": []obj{{"type": "object", "properties": obj{"result": obj{}}, "required": []string{"result"}}, {"$ref": "#/components/schemas/Error"}}},
				"Error":   obj{"type": "object", "properties": obj{"error": obj{"type": "string"}}, "required": []string{"error"}},
				"Command": command,
			},
		},
		"security": []obj{{"bearer": []string{}}},
		"paths": obj{
			"/": obj{"post": obj{"summary": "Run one command given as a JSON array", "parameters": []obj{encoding},
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": command}}},
				"responses":   with(resultResp)}},
			"/{command}/{args}": obj{
				"parameters": []obj{{"name": "command", "in": "path", "required": true, "schema": obj{"type": "string"}},
					{"name": "args", "in": "path", "required": true, "description": "Arguments as path segments, each percent-encoded (%2F is a slash inside an argument); query parameters follow as arguments (?EX=10)", "schema": obj{"type": "string"}},
					encoding},
				"get":  obj{"summary": "Run a command given in the path", "responses": with(resultResp)},
				"post": obj{"summary": "Run a command given in the path; the body is its last argument (binary-safe)", "responses": with(resultResp)},
			},
			"/pipeline":   obj{"post": obj{"summary": "Run commands in order, not atomically", "parameters": []obj{encoding}, "requestBody": listBody, "responses": with(listResp)}},
			"/multi-exec": obj{"post": obj{"summary": "Run commands atomically (MULTI/EXEC)", "parameters": []obj{encoding}, "requestBody": listBody, "responses": with(listResp)}},
			"/subscribe/{channel}": obj{"get": obj{"summary": "Subscribe to a channel as Server-Sent Events (data: message,<channel>,<payload>)",
				"parameters": []obj{{"name": "channel", "in": "path", "required": true, "schema": obj{"type": "string"}}, encoding},
				"responses":  with(obj{"description": "An event stream", "content": obj{"text/event-stream": obj{}}})}},
			"/psubscribe/{pattern}": obj{"get": obj{"summary": "Subscribe to a pattern as Server-Sent Events (data: pmessage,<pattern>,<channel>,<payload>)",
				"parameters": []obj{{"name": "pattern", "in": "path", "required": true, "schema": obj{"type": "string"}}, encoding},
				"responses":  with(obj{"description": "An event stream", "content": obj{"text/event-stream": obj{}}})}},
			"/ws": obj{"get": obj{"summary": `WebSocket: frames {"id": n, "cmd": [...]} answered by {"id": n, "result"|"error": ...}; pushes as {"push": [...]}; {"auth": key} first when no Authorization header`,
				"responses": with(obj{"description": "Switching protocols"})}},
			"/mcp":          obj{"post": obj{"summary": "Model Context Protocol (Streamable HTTP); the key must allow the mcp surface", "responses": with(obj{"description": "MCP"})}},
			"/health":       obj{"get": obj{"summary": "Liveness", "security": []obj{}, "responses": obj{"200": obj{"description": `{"status":"ok"}`}}}},
			"/metrics":      obj{"get": obj{"summary": "Prometheus metrics (operator key only)", "responses": with(obj{"description": "Prometheus text format", "content": obj{"text/plain": obj{}}})}},
			"/openapi.json": obj{"get": obj{"summary": "This document", "security": []obj{}, "responses": obj{"200": obj{"description": "OpenAPI 3.1"}}}},
		},
	}
}

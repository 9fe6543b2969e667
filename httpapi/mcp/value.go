package mcp

import (
	"encoding/base64"
	"math"
	"unicode/utf8"

	"synap/resp"
)

// toJSON maps a reply to JSON values: strings (a string that is not UTF-8,
// which JSON cannot carry, becomes {"base64": "..."}), integers, numbers
// (infinities and NaN as Redis prints them, "inf"...), booleans, null for
// every null, arrays for arrays, sets and pushes, objects for maps whose
// keys are strings (other maps as [key, value] pairs), and {"error": text}
// for an error inside an array (EXEC's).
func toJSON(v resp.Value) any {
	if v.Null {
		return nil
	}
	switch v.Kind {
	case resp.KindSimple, resp.KindBulk, resp.KindVerbatim, resp.KindBigNumber:
		return str(v.Str)
	case resp.KindInt:
		return v.Int
	case resp.KindDouble:
		if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
			return string(v.Str)
		}
		return v.Float
	case resp.KindBool:
		return v.Bool
	case resp.KindNull:
		return nil
	case resp.KindError, resp.KindBulkError:
		return map[string]any{"error": string(v.Str)}
	case resp.KindMap, resp.KindAttribute:
		obj := make(map[string]any, len(v.Elems)/2)
		for i := 0; i+1 < len(v.Elems); i += 2 {
			k := v.Elems[i]
			if k.Null || (k.Kind != resp.KindSimple && k.Kind != resp.KindBulk && k.Kind != resp.KindVerbatim) || !utf8.Valid(k.Str) {
				return mapPairs(v)
			}
			obj[string(k.Str)] = toJSON(v.Elems[i+1])
		}
		return obj
	}
	out := make([]any, len(v.Elems))
	for i, e := range v.Elems {
		out[i] = toJSON(e)
	}
	return out
}

func mapPairs(v resp.Value) []any {
	out := make([]any, 0, len(v.Elems)/2)
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out = append(out, []any{toJSON(v.Elems[i]), toJSON(v.Elems[i+1])})
	}
	return out
}

func str(b []byte) any {
	if utf8.Valid(b) {
		return string(b)
	}
	return map[string]string{"base64": base64.StdEncoding.EncodeToString(b)}
}

/* tests/unit_json.c - unit tests: strict JSON as Python's json reads it,
 * and positions in characters (json.c). */
#include <string.h>

#include "json.h"
#include "unit.h"

/* kx_json_strict: 0 for text Python's json reads as cJSON does; else the
 * byte offset of the first problem, and a word of its message. */
static int
json_fails_at(const char *text, size_t off, const char *word)
{
	struct kx_json_fault f;
	size_t start;
	int r = kx_json_strict(text, strlen(text), 64, &start, &f);

	if (off == (size_t)-1)
		return r == 0;
	return r == -1 && f.off == off && strstr(f.msg, word) != NULL;
}

void
test_json(void)
{
	char big[40000];
	size_t i, o = 0, line, col;

	CHECK(json_fails_at("{\"a\": [1, -0.5e+3, 0, true, null, \"\\u00e9\\ud83d\\ude00\"]}", (size_t)-1, ""));
	CHECK(json_fails_at("\xef\xbb\xbf {\"a\": 1}\r\n", (size_t)-1, ""));
	CHECK(json_fails_at("{\"a\": {\"b\": 1}, \"c\": {\"b\": 2}}", (size_t)-1, ""));  /* same key, other objects */
	CHECK(json_fails_at("{\"a\": 1, \"b\": 2, \"a\": 3}", 17, "duplicate key 'a'"));
	CHECK(json_fails_at("[{\"x\": {\"k\": 1, \"\\u006b\": 2}}]", 16, "duplicate key 'k'"));
	/* a raw character and its escaped surrogate pair are one key */
	CHECK(json_fails_at("{\"\xf0\x9f\x98\x80\": 1, \"\\ud83d\\ude00\": 2}", 12, "duplicate key"));
	CHECK(json_fails_at("{\"a\\u0000b\": 1}", 3, "\\u0000"));
	CHECK(json_fails_at("[\"\\udc00\"]", 2, "lone surrogate"));
	CHECK(json_fails_at("[\"\\ud800x\"]", 2, "lone surrogate"));
	CHECK(json_fails_at("[01]", 1, "invalid number"));
	CHECK(json_fails_at("[1.]", 1, "invalid number"));
	CHECK(json_fails_at("[-.5]", 1, "invalid number"));
	CHECK(json_fails_at("[1e]", 1, "invalid number"));
	/* Python's non-finite spellings (Keras writes them): refused by name */
	CHECK(json_fails_at("[NaN]", 1, "non-finite number NaN: Python's json writes it"));
	CHECK(json_fails_at("[1, -Infinity]", 4, "non-finite number -Infinity"));
	CHECK(json_fails_at("{\"max_value\": Infinity}", 14,
	                    "non-finite number Infinity (after the key 'max_value')"));
	CHECK(json_fails_at("[Nan]", 1, "expecting a value"));
	CHECK(json_fails_at("{} {}", 3, "extra data"));
	CHECK(json_fails_at("[1,\x0b" "2]", 3, "expecting a value"));
	CHECK(json_fails_at("[\"a\tb\"]", 3, "control character"));
	CHECK(json_fails_at("[\"\xc0\xaf\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[\"\xed\xa0\x80\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[\"\xf4\x90\x80\x80\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[\"\xe2\x82\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[[[[1]]]]", (size_t)-1, ""));
	{
		struct kx_json_fault f;
		size_t start;
		CHECK(kx_json_strict("[[[1]]]", 7, 2, &start, &f) == -1 && strstr(f.msg, "deeper than 2"));
	}
	/* 2000 distinct keys, then one repeated: found, at the repeat */
	o += (size_t)snprintf(big + o, sizeof big - o, "{");
	for (i = 0; i < 2000; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "\"k%zu\": %zu, ", i, i);
	CHECK(json_fails_at(big, (size_t)-1, "") == 0);   /* "{... , " is cut short */
	snprintf(big + o, sizeof big - o, "\"k1999\": 0}");
	CHECK(json_fails_at(big, o, "duplicate key 'k1999'"));
	big[o] = '\0';
	snprintf(big + o, sizeof big - o, "\"k2000\": 0}");
	CHECK(json_fails_at(big, (size_t)-1, ""));
	/* positions count characters, not bytes */
	kx_text_pos("a\n\xc3\xa9\xc3\xa9x", 7, 6, &line, &col);
	CHECK(line == 2 && col == 3);
}

/* text.h - the text every reader and writer shares: UTF-8, positions,
 * JSON strings and numbers.
 *
 * One UTF-8 rule (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF), one JSON string and number grammar (RFC 8259), one JSON
 * string writer. The readers (src/json.c for configs, src/request.c for
 * serve-stdin, src/rows_json.c for predict) word their messages each in
 * their own way, from the codes these return. */
#ifndef KX_TEXT_H
#define KX_TEXT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s[0..n) (n >= 1), or 0 when it
 * is not valid there (a bad lead byte, cut short, overlong, a surrogate,
 * past U+10FFFF). */
size_t kx_utf8_len(const unsigned char *s, size_t n);

/* Offset of the first byte of s[0..len) that is not valid UTF-8, or -1. */
ptrdiff_t kx_utf8_bad(const char *s, size_t len);

/* The 1-based line and column (in characters) of byte offset off of
 * s[0..len). */
void kx_text_pos(const char *s, size_t len, size_t off, size_t *line, size_t *col);

/* What kx_json_string found wrong, at *at. */
enum kx_jstr {
	KX_JSTR_OK,
	KX_JSTR_UNTERMINATED,  /* no closing quote (*at: the opening quote) */
	KX_JSTR_CONTROL,       /* a raw byte below 0x20 (NUL included) */
	KX_JSTR_ESCAPE,        /* '\' and a letter that is no escape */
	KX_JSTR_CUT,           /* '\' at the very end */
	KX_JSTR_HEX,           /* \u not followed by four hex digits */
	KX_JSTR_LONE_LOW,      /* \uDC00-\uDFFF first */
	KX_JSTR_LONE_HIGH,     /* \uD800-\uDBFF not followed by "\u" */
	KX_JSTR_HIGH_HEX,      /* ... followed by "\u" without four hex digits */
	KX_JSTR_HIGH_NOT_LOW,  /* ... followed by \uXXXX that is no low surrogate */
	KX_JSTR_UTF8           /* bytes that are not UTF-8 */
};

/* The JSON string whose opening quote is s[0], up to e: on KX_JSTR_OK,
 * *end is past its closing quote. Otherwise *at is where the problem is.
 * *cp, for the escape codes: the \u value read (the high surrogate for
 * the last two). flags (may be NULL): bit 0 set when it holds escapes,
 * bit 1 when it holds "\u0000". */
enum kx_jstr kx_json_string(const char *s, const char *e, const char **end, const char **at,
                            unsigned long *cp, int *flags);

/* Decode the text of a valid JSON string s[0..len) (without its quotes)
 * into out, which has room for len bytes (decoding never grows it).
 * Returns the decoded length. */
size_t kx_json_unescape(const char *s, size_t len, char *out);

/* What kx_json_number found wrong. */
enum kx_jnum {
	KX_JNUM_OK,
	KX_JNUM_NONE,          /* no digit where the number starts (after a '-') */
	KX_JNUM_FRACTION,      /* '.' without a digit after it */
	KX_JNUM_EXPONENT       /* 'e' without a digit after it (and its sign) */
};

/* The JSON number at s (up to e): *end is past it on KX_JNUM_OK, else at
 * the byte where a digit was expected. */
enum kx_jnum kx_json_number(const char *s, const char *e, const char **end);

/* Bytes kx_json_quote may write for n bytes of text: 6n + 2. */
#define KX_JSON_QUOTE_ROOM(n) ((n) * 6 + 2)

/* Write s[0..n) as a JSON string, quotes included, into out (room for
 * KX_JSON_QUOTE_ROOM(n) bytes): '"', '\' and control characters escaped
 * (\n, \t, \r, else \u00xx), bytes that are not UTF-8 as \ufffd. Returns
 * the bytes written. */
size_t kx_json_quote(char *out, const char *s, size_t n);

/* ---- duplicate keys ----------------------------------------------------
 * One rule for every JSON document kanx reads (request documents, JSON
 * lines, a checkpoint's config.json): a key that repeats an earlier key
 * of the same object, compared decoded, is refused. RFC 8259 leaves such
 * an object undefined and readers differ (Python keeps the last value,
 * cJSON the first); a batch job must not silently use one of two values.
 *
 * A kx_jkeys holds the decoded keys of every object still open, innermost
 * last, and keeps its memory from one document to the next. Usage: at an
 * object's '{', m = kx_jkeys_open(ks); for each key, kx_jkeys_add; at its
 * '}', kx_jkeys_close(ks, m, ...). Small objects are checked key by key
 * (a duplicate is found where it stands); larger ones by sorting at the
 * close. Either way the duplicate reported is the first, in the text,
 * that repeats an earlier key. */
struct kx_jkey {
	size_t off, len;       /* the decoded key: buf[off, off + len) */
	size_t at;             /* where it starts in the text (the caller's offset) */
};

struct kx_jkeys {
	char *buf;
	size_t len, cap;
	struct kx_jkey *v;
	size_t n, cap_v;
	void *sorted;          /* a large object's keys, sorted at its close */
	size_t cap_sorted;
};

struct kx_jmark {
	size_t n, len;
};

/* A duplicate: the key (decoded, not NUL-terminated, valid until the
 * object closes), where it stands, and where the key it repeats stands. */
struct kx_jdup {
	const char *name;
	size_t len, at, first;
};

/* Open an object: the mark to close it with. */
struct kx_jmark kx_jkeys_open(const struct kx_jkeys *ks);

/* Add the key whose string (quotes included) is s[0, n) and starts at
 * offset at (esc: it holds escapes, as kx_json_string says). Returns 0,
 * 1 when it repeats a key of its object (d filled), -1 when memory ran
 * out. */
int kx_jkeys_add(struct kx_jkeys *ks, const struct kx_jmark *m, const char *s, size_t n, int esc,
                 size_t at, struct kx_jdup *d);

/* The same for a key already decoded: name[0, len). */
int kx_jkeys_add_decoded(struct kx_jkeys *ks, const struct kx_jmark *m, const char *name, size_t len,
                         size_t at, struct kx_jdup *d);

/* Close the object opened at m: 0 (its keys dropped), 1 with d filled
 * when it repeats a key (the keys are kept until the next close or open
 * of an outer object), -1 when memory ran out. */
int kx_jkeys_close(struct kx_jkeys *ks, const struct kx_jmark *m, struct kx_jdup *d);

/* Forget every key (a new document); keeps the memory. */
void kx_jkeys_reset(struct kx_jkeys *ks);

/* Free the memory. */
void kx_jkeys_free(struct kx_jkeys *ks);

/* ---- one JSON value, checked and skipped -------------------------------
 * The walker every reader of a JSON document uses for the values whose
 * contents it does not keep (all but a request's "x", "id", "op" and
 * "path"): strict RFC 8259, containers nested at most max_depth deep,
 * and no repeated key (the rule above). It says what is wrong with a
 * code; each reader words it in its own way. */
enum kx_jskip {
	KX_JSKIP_OK,
	KX_JSKIP_VALUE,        /* no JSON value at at (the end of the text, or a byte none starts with) */
	KX_JSKIP_KEY,          /* no '"' where an object's key goes */
	KX_JSKIP_COLON,        /* no ':' after a key */
	KX_JSKIP_COMMA,        /* neither ',' nor close after an item */
	KX_JSKIP_STRING,       /* a bad string: jstr, cp (kx_json_string); at: where */
	KX_JSKIP_NUMBER,       /* a bad number (jnum) starting at at; end: where a digit was expected */
	KX_JSKIP_DEEP,         /* a container nested too deep; at: its bracket */
	KX_JSKIP_DUP,          /* a repeated key: dup (offsets from the base given) */
	KX_JSKIP_OOM           /* memory ran out (the keys) */
};

struct kx_jfault {
	enum kx_jskip code;
	const char *at;
	enum kx_jstr jstr;
	unsigned long cp;
	enum kx_jnum jnum;
	const char *end;
	char close;            /* KX_JSKIP_COMMA: ']' or '}' */
	struct kx_jdup dup;
};

/* Check the JSON value at s (no whitespace before it) up to e, inside
 * depth containers already: a container is refused once depth reaches
 * max_depth. Keys go to ks, their offsets counted from base. Returns the
 * end of the value, or NULL with f filled. */
const char *kx_json_skip(const char *s, const char *e, const char *base, size_t depth, size_t max_depth,
                         struct kx_jkeys *ks, struct kx_jfault *f);

/* Keras's to_snake_case of a class name ("KANLinear" -> "kan_linear").
 * Writes at most size bytes including the NUL. */
void kx_snake_case(const char *cls, char *out, size_t size);

/* Check the nesting depth of a JSON text without parsing it: 0 if at most
 * max_depth, -1 otherwise. */
int kx_json_depth_ok(const char *json, size_t len, size_t max_depth);

#endif

/* text.c - UTF-8, positions, JSON strings and numbers, names (see text.h). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kxlimits.h"
#include "text.h"

size_t
kx_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char a = s[0];
	unsigned lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (a < 0x80)
		return 1;
	if (a >= 0xc2 && a <= 0xdf) {
		need = 1;
	} else if (a >= 0xe0 && a <= 0xef) {
		need = 2;
		if (a == 0xe0)
			lo = 0xa0;      /* overlong below U+0800 */
		else if (a == 0xed)
			hi = 0x9f;      /* surrogates */
	} else if (a >= 0xf0 && a <= 0xf4) {
		need = 3;
		if (a == 0xf0)
			lo = 0x90;      /* overlong below U+10000 */
		else if (a == 0xf4)
			hi = 0x8f;      /* past U+10FFFF */
	} else {
		return 0;
	}
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

ptrdiff_t
kx_utf8_bad(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t n;

	while (p < e) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		n = kx_utf8_len(p, (size_t)(e - p));
		if (n == 0)
			return (ptrdiff_t)(p - (const unsigned char *)s);
		p += n;
	}
	return -1;
}

void
kx_text_pos(const char *s, size_t len, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			(*col)++;   /* a character starts here: count it, not its continuation bytes */
		}
	}
}

static int
hex4(const unsigned char *p, const unsigned char *e, unsigned long *v)
{
	unsigned long u = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned h = p + i < e ? p[i] : 0;
		if (h >= '0' && h <= '9')
			u = u * 16 + (h - '0');
		else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
			u = u * 16 + ((h | 0x20) - 'a' + 10);
		else
			return -1;
	}
	*v = u;
	return 0;
}

enum kx_jstr
kx_json_string(const char *s, const char *e, const char **end, const char **at,
               unsigned long *cp, int *flags)
{
	const unsigned char *p = (const unsigned char *)s + 1, *ue = (const unsigned char *)e;
	unsigned long u, lo;
	int fl = 0;
	size_t n;

#define BAD(code, where) (*at = (const char *)(where), flags ? *flags = fl : 0, (code))
	while (p < ue) {
		unsigned c = *p;
		if (c == '"') {
			*end = (const char *)p + 1;
			if (flags)
				*flags = fl;
			return KX_JSTR_OK;
		}
		if (c < 0x20)
			return BAD(KX_JSTR_CONTROL, p);
		if (c == '\\') {
			fl |= 1;
			if (p + 1 >= ue)
				break;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return BAD(KX_JSTR_ESCAPE, p);
			}
			if (hex4(p + 2, ue, &u) != 0)
				return BAD(KX_JSTR_HEX, p);
			*cp = u;
			if (u >= 0xdc00 && u <= 0xdfff)
				return BAD(KX_JSTR_LONE_LOW, p);
			if (u >= 0xd800 && u <= 0xdbff) {
				if (p + 12 > ue || p[6] != '\\' || p[7] != 'u')
					return BAD(KX_JSTR_LONE_HIGH, p);
				if (hex4(p + 8, ue, &lo) != 0)
					return BAD(KX_JSTR_HIGH_HEX, p);
				if (lo < 0xdc00 || lo > 0xdfff)
					return BAD(KX_JSTR_HIGH_NOT_LOW, p);
				p += 12;
			} else {
				if (u == 0)
					fl |= 2;
				p += 6;
			}
			continue;
		}
		if (c < 0x80) {
			p++;
			continue;
		}
		n = kx_utf8_len(p, (size_t)(ue - p));
		if (n == 0)
			return BAD(KX_JSTR_UTF8, p);
		p += n;
	}
	return BAD(KX_JSTR_UNTERMINATED, s);
#undef BAD
}

size_t
kx_json_unescape(const char *s, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t o = 0;
	unsigned long u, lo;

	while (p < e) {
		if (*p != '\\') {
			out[o++] = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b': out[o++] = '\b'; p += 2; continue;
		case 'f': out[o++] = '\f'; p += 2; continue;
		case 'n': out[o++] = '\n'; p += 2; continue;
		case 'r': out[o++] = '\r'; p += 2; continue;
		case 't': out[o++] = '\t'; p += 2; continue;
		case 'u': break;
		default: out[o++] = (char)p[1]; p += 2; continue;
		}
		(void)hex4(p + 2, e, &u);
		p += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			(void)hex4(p + 2, e, &lo);
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		if (u < 0x80) {
			out[o++] = (char)u;
		} else if (u < 0x800) {
			out[o++] = (char)(0xc0 | (u >> 6));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			out[o++] = (char)(0xe0 | (u >> 12));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (u >> 18));
			out[o++] = (char)(0x80 | ((u >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		}
	}
	return o;
}

static const char *
digits(const char *p, const char *e)
{
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p;
}

enum kx_jnum
kx_json_number(const char *s, const char *e, const char **end)
{
	const char *p = s;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0') {
		p++;
	} else if (p < e && *p >= '1' && *p <= '9') {
		p = digits(p, e);
	} else {
		*end = s;
		return KX_JNUM_NONE;
	}
	if (p < e && *p == '.') {
		p++;
		if (!(p < e && *p >= '0' && *p <= '9')) {
			*end = p;
			return KX_JNUM_FRACTION;
		}
		p = digits(p, e);
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (!(p < e && *p >= '0' && *p <= '9')) {
			*end = p;
			return KX_JNUM_EXPONENT;
		}
		p = digits(p, e);
	}
	*end = p;
	return KX_JNUM_OK;
}

size_t
kx_json_quote(char *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char *p = out;
	size_t i = 0, l;

	*p++ = '"';
	while (i < n) {
		unsigned char c = u[i];
		if (c >= 0x80) {
			if ((l = kx_utf8_len(u + i, n - i)) == 0) {
				memcpy(p, "\\ufffd", 6);
				p += 6;
				i++;
				continue;
			}
			memcpy(p, u + i, l);
			p += l;
			i += l;
			continue;
		}
		i++;
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c >= 0x20) {
			*p++ = (char)c;
		} else if (c == '\n') {
			memcpy(p, "\\n", 2);
			p += 2;
		} else if (c == '\t') {
			memcpy(p, "\\t", 2);
			p += 2;
		} else if (c == '\r') {
			memcpy(p, "\\r", 2);
			p += 2;
		} else {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		}
	}
	*p++ = '"';
	return (size_t)(p - out);
}

/* ---- duplicate keys ---------------------------------------------------------- */

/* Objects up to this many keys are checked pairwise as each key comes. */
#define JKEYS_SMALL 32

struct kx_jmark
kx_jkeys_open(const struct kx_jkeys *ks)
{
	struct kx_jmark m = { ks->n, ks->len };

	return m;
}


static void
jdup_fill(const struct kx_jkeys *ks, const struct kx_jkey *k, const struct kx_jkey *first, struct kx_jdup *d)
{
	d->name = ks->buf + k->off;
	d->len = k->len;
	d->at = k->at;
	d->first = first->at;
}

/* Push a key of raw (at most) len bytes, written by put into its place;
 * check it against its object's earlier keys when the object is small. */
static int
jkeys_push(struct kx_jkeys *ks, const struct kx_jmark *m, const char *s, size_t n, int esc,
           size_t at, struct kx_jdup *d)
{
	size_t need, i;
	struct kx_jkey *k;

	if (kx_add(ks->len, n, &need) != 0 ||
	    kx_grow((void **)&ks->buf, &ks->cap, need ? need : 1, 1) != 0 ||
	    kx_grow((void **)&ks->v, &ks->cap_v, ks->n + 1, sizeof *ks->v) != 0)
		return -1;
	k = &ks->v[ks->n++];
	k->off = ks->len;
	k->at = at;
	if (esc)
		k->len = kx_json_unescape(s, n, ks->buf + ks->len);
	else if ((k->len = n) > 0)
		memcpy(ks->buf + ks->len, s, n);
	ks->len += k->len;
	if (ks->n - m->n <= JKEYS_SMALL)
		for (i = m->n; i + 1 < ks->n; i++)
			if (ks->v[i].len == k->len && memcmp(ks->buf + ks->v[i].off, ks->buf + k->off, k->len) == 0) {
				jdup_fill(ks, k, &ks->v[i], d);
				return 1;
			}
	return 0;
}

int
kx_jkeys_add(struct kx_jkeys *ks, const struct kx_jmark *m, const char *s, size_t n, int esc,
             size_t at, struct kx_jdup *d)
{
	return jkeys_push(ks, m, s + 1, n - 2, esc, at, d);
}

int
kx_jkeys_add_decoded(struct kx_jkeys *ks, const struct kx_jmark *m, const char *name, size_t len,
                     size_t at, struct kx_jdup *d)
{
	return jkeys_push(ks, m, name, len, 0, at, d);
}

/* A key of a large object, for sorting: its text, and where it was. */
struct jskey {
	const char *k;
	size_t len, at;
	const struct kx_jkey *key;
};

static int
jskey_cmp(const void *a, const void *b)
{
	const struct jskey *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->k, y->k, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int
jskey_same(const struct jskey *x, const struct jskey *y)
{
	return x->len == y->len && memcmp(x->k, y->k, x->len) == 0;
}

int
kx_jkeys_close(struct kx_jkeys *ks, const struct kx_jmark *m, struct kx_jdup *d)
{
	size_t n = ks->n - m->n, i, best = SIZE_MAX;
	struct jskey *v;

	if (n > JKEYS_SMALL) {
		/* sorted by key, then by place: each run of equal keys starts
		 * with the first occurrence; report the repeat that comes first
		 * in the text */
		if (kx_grow(&ks->sorted, &ks->cap_sorted, n, sizeof *v) != 0)
			return -1;
		v = ks->sorted;
		for (i = 0; i < n; i++) {
			const struct kx_jkey *k = &ks->v[m->n + i];
			v[i] = (struct jskey){ ks->buf + k->off, k->len, k->at, k };
		}
		qsort(v, n, sizeof *v, jskey_cmp);
		for (i = 1; i < n; i++)
			if (jskey_same(&v[i - 1], &v[i]) && (best == SIZE_MAX || v[i].at < v[best].at))
				best = i;
		if (best != SIZE_MAX) {
			size_t f = best;
			while (f > 0 && jskey_same(&v[f - 1], &v[best]))
				f--;
			jdup_fill(ks, v[best].key, v[f].key, d);
			return 1;
		}
	}
	ks->n = m->n;
	ks->len = m->len;
	return 0;
}

void
kx_jkeys_reset(struct kx_jkeys *ks)
{
	ks->n = 0;
	ks->len = 0;
}

void
kx_jkeys_free(struct kx_jkeys *ks)
{
	free(ks->buf);
	free(ks->v);
	free(ks->sorted);
	memset(ks, 0, sizeof *ks);
}

/* ---- one JSON value, checked and skipped ---------------------------------------- */

static const char *
jws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *
jfault(struct kx_jfault *f, enum kx_jskip code, const char *at)
{
	f->code = code;
	f->at = at;
	return NULL;
}

/* The string at s: its end, or NULL. esc (may be NULL): it holds escapes. */
static const char *
jskip_string(const char *s, const char *e, struct kx_jfault *f, int *esc)
{
	const char *end, *at;
	int flags = 0;

	f->jstr = kx_json_string(s, e, &end, &at, &f->cp, &flags);
	if (f->jstr != KX_JSTR_OK)
		return jfault(f, KX_JSKIP_STRING, at);
	if (esc)
		*esc = flags & 1;
	return end;
}

/* After an item: past the ',' (*more = 1) or the close (*more = 0). */
static const char *
jskip_next(const char *p, const char *e, char close, int *more, struct kx_jfault *f)
{
	p = jws(p, e);
	if (p < e && (*p == ',' || *p == close)) {
		*more = *p == ',';
		return p + 1;
	}
	f->close = close;
	return jfault(f, KX_JSKIP_COMMA, p);
}

static const char *
jskip_object(const char *p, const char *e, const char *base, size_t depth, size_t max_depth,
             struct kx_jkeys *ks, struct kx_jfault *f)
{
	struct kx_jmark m = kx_jkeys_open(ks);
	const char *k;
	int more = 1, esc, rc;

	p = jws(p + 1, e);
	if (p < e && *p == '}')
		return p + 1;
	while (more) {
		p = jws(p, e);
		if (p >= e || *p != '"')
			return jfault(f, KX_JSKIP_KEY, p);
		k = p;
		if ((p = jskip_string(k, e, f, &esc)) == NULL)
			return NULL;
		rc = kx_jkeys_add(ks, &m, k, (size_t)(p - k), esc, (size_t)(k - base), &f->dup);
		if (rc != 0)
			return jfault(f, rc < 0 ? KX_JSKIP_OOM : KX_JSKIP_DUP, base + f->dup.at);
		p = jws(p, e);
		if (p >= e || *p != ':')
			return jfault(f, KX_JSKIP_COLON, p);
		p = jws(p + 1, e);
		if ((p = kx_json_skip(p, e, base, depth + 1, max_depth, ks, f)) == NULL ||
		    (p = jskip_next(p, e, '}', &more, f)) == NULL)
			return NULL;
	}
	rc = kx_jkeys_close(ks, &m, &f->dup);
	if (rc != 0)
		return jfault(f, rc < 0 ? KX_JSKIP_OOM : KX_JSKIP_DUP, base + f->dup.at);
	return p;
}

const char *
kx_json_skip(const char *s, const char *e, const char *base, size_t depth, size_t max_depth,
             struct kx_jkeys *ks, struct kx_jfault *f)
{
	static const char *const lit[] = { "true", "false", "null" };
	const char *p = s, *end;
	int more = 1;
	size_t k, n;

	if (p >= e)
		return jfault(f, KX_JSKIP_VALUE, p);
	switch (*p) {
	case '{':
	case '[':
		if (depth >= max_depth)
			return jfault(f, KX_JSKIP_DEEP, p);
		if (*p == '{')
			return jskip_object(p, e, base, depth, max_depth, ks, f);
		p = jws(p + 1, e);
		if (p < e && *p == ']')
			return p + 1;
		while (more) {
			p = jws(p, e);
			if ((p = kx_json_skip(p, e, base, depth + 1, max_depth, ks, f)) == NULL ||
			    (p = jskip_next(p, e, ']', &more, f)) == NULL)
				return NULL;
		}
		return p;
	case '"':
		return jskip_string(p, e, f, NULL);
	case 't':
	case 'f':
	case 'n':
		for (k = 0; k < 3; k++) {
			n = strlen(lit[k]);
			if ((size_t)(e - p) >= n && memcmp(p, lit[k], n) == 0)
				return p + n;
		}
		return jfault(f, KX_JSKIP_VALUE, p);
	default:
		if (*p != '-' && (*p < '0' || *p > '9'))
			return jfault(f, KX_JSKIP_VALUE, p);
		f->jnum = kx_json_number(p, e, &end);
		if (f->jnum != KX_JNUM_OK) {
			f->end = end;
			return jfault(f, KX_JSKIP_NUMBER, p);
		}
		return end;
	}
}

void
kx_snake_case(const char *cls, char *out, size_t size)
{
	/* Keras: re.sub("(.)([A-Z][a-z]+)", r"\1_\2"), then
	 * re.sub("([a-z0-9])([A-Z])", r"\1_\2"), then lower(). */
	char tmp[256];
	size_t n = strlen(cls), i, o = 0;

	if (size == 0)
		return;
	for (i = 0; i < n && o + 2 < sizeof tmp; i++) {
		if (i > 0 && isupper((unsigned char)cls[i]) && i + 1 < n &&
		    islower((unsigned char)cls[i + 1]) && tmp[o - 1] != '_')
			tmp[o++] = '_';
		tmp[o++] = cls[i];
	}
	tmp[o] = '\0';
	n = o;
	o = 0;
	for (i = 0; i < n && o + 2 < size; i++) {
		if (i > 0 && isupper((unsigned char)tmp[i]) &&
		    (islower((unsigned char)tmp[i - 1]) || isdigit((unsigned char)tmp[i - 1])))
			out[o++] = '_';
		out[o++] = (char)tolower((unsigned char)tmp[i]);
	}
	out[o] = '\0';
}

int
kx_json_depth_ok(const char *json, size_t len, size_t max_depth)
{
	size_t i, depth = 0;
	int in_str = 0;

	for (i = 0; i < len; i++) {
		char c = json[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return -1;
		} else if (c == ']' || c == '}') {
			if (depth > 0)
				depth--;
		}
	}
	return 0;
}

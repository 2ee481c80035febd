/* typo.c - the known word nearest a misspelt one. */
#include <string.h>

#include "typo.h"

/* Levenshtein distance of A and B with one row of the table; (size_t)-1
 * when either is longer than KX_TYPO_MAX_LEN. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[KX_TYPO_MAX_LEN + 1], prev, tmp;

	if (la > KX_TYPO_MAX_LEN || lb > KX_TYPO_MAX_LEN)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
kx_typo_nearest(const char *s, const char *const *list)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, d, len = strlen(s);

	for (; *list; list++) {
		if (len > 0 && strncmp(*list, s, len) == 0)
			return *list;  /* a prefix: the word cut short */
		d = edit_distance(s, *list);
		if (d < bestd) {
			bestd = d;
			best = *list;
		}
	}
	if (best && bestd <= (strlen(best) > 4 ? 3u : 2u))
		return best;
	return NULL;
}

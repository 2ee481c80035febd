/* tests/testutil.c - helpers shared by the C test programs. */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

float *
test_read_csv(const char *path, size_t *rows, size_t *cols)
{
	FILE *f = fopen(path, "r");
	char line[65536];
	float *v = NULL;
	size_t n = 0, cap = 0, c;

	*rows = *cols = 0;
	if (!f)
		return NULL;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof line, f)) {
		char *p = line, *end;
		for (c = 0;; p++) {
			float x = strtof(p, &end);
			if (end == p)
				break;
			if (n == cap && !(v = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof *v)))
				abort();
			v[n++] = x;
			c++;
			p = end;
			if (*p != ',')
				break;
		}
		if (c) {
			*cols = c;
			(*rows)++;
		}
	}
	fclose(f);
	return v;
}

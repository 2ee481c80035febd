/* tests/unit_typo.c - unit tests: the nearest-name matcher for misspelt
 * options and names (typo.c). */
#include <string.h>

#include "typo.h"
#include "unit.h"

void
test_nearest(void)
{
	const char *const cmds[] = { "inspect", "predict", "validate", "serve-stdin", NULL };

	CHECK(strcmp(kx_typo_nearest("predcit", cmds), "predict") == 0);
	CHECK(strcmp(kx_typo_nearest("serve", cmds), "serve-stdin") == 0);
	CHECK(kx_typo_nearest("zzzzzzzzzz", cmds) == NULL);
	CHECK(kx_typo_nearest("", cmds) == NULL);
	{
		/* one letter wrong in a word of KX_TYPO_MAX_LEN bytes, then one more */
		char w[KX_TYPO_MAX_LEN + 2], t[KX_TYPO_MAX_LEN + 2];
		const char *list[] = { w, NULL };

		memset(w, 'a', KX_TYPO_MAX_LEN);
		w[KX_TYPO_MAX_LEN] = '\0';
		memcpy(t, w, sizeof t);
		t[0] = 'b';
		CHECK(kx_typo_nearest(t, list) == w);
		w[KX_TYPO_MAX_LEN] = 'a';
		w[KX_TYPO_MAX_LEN + 1] = '\0';
		t[KX_TYPO_MAX_LEN] = 'a';
		t[KX_TYPO_MAX_LEN + 1] = '\0';
		CHECK(kx_typo_nearest(t, list) == NULL);
	}
}

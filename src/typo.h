/* typo.h - "did you mean": the known word nearest a misspelt one.
 *
 * Used for unknown commands and options (main.c, cli.c), unknown keys of a
 * YAML config (yamlcfg) and a checkpoint path with a typo (serve-stdin). */
#ifndef KX_TYPO_H
#define KX_TYPO_H

/* Words longer than this (bytes, NUL excluded) are never matched. */
#define KX_TYPO_MAX_LEN 62

/* The word of LIST (NULL-terminated) that S most likely meant, or NULL:
 * the first one S is a non-empty prefix of, else the one at the smallest
 * edit distance (Levenshtein), if that is at most 2 (3 for words of more
 * than 4 bytes). Returns a pointer into LIST; allocates nothing. */
const char *kx_typo_nearest(const char *s, const char *const *list);

#endif

/* kanx - run Kolmogorov-Arnold Network checkpoints from the shell.
 *
 * Map of the source tree (bottom up):
 *   err.c       error values passed up from the lower layers
 *   limits.c    the table of limits, overflow-checked sizes
 *   sha256.c    SHA-256 of checkpoint files (inspect)
 *   archive.c   .keras zip -> members in memory (libarchive)
 *   spec.c      config.json / metadata.json -> layer specs (cJSON)
 *   weights.c   model.weights.h5 -> float arrays, from memory (HDF5)
 *   act.c       Keras activations
 *   kernel.c    KAN and Dense kernels: reference, BLIS, and the choice between kernels
 *   kernel_avx2.c  the AVX2 kernel: rows in vector lanes, dense and sparse KAN paths
 *   model.c     load, free, forward pass, fresh models
 *   numfmt.c    fast float parsing and shortest round-trip printing
 *   rows.c      input readers: CSV/TSV (libcsv), JSON lines, API documents
 *   output.c    output writers: CSV, TSV, JSON lines, API response
 *   request.c   one-pass reader of API request documents, x straight to float32
 *   yamlcfg.c   kanx YAML training configs (libyaml)
 *   cli.c       option tables, --help, nearest-match suggestions
 *   cmd_*.c     one file per command: inspect, predict, validate, serve-stdin
 *   main.c      the command table, --version, dispatch, stdout checks
 */
#include "config.h"

#include <archive.h>
#include <blis.h>
#include <cjson/cJSON.h>
#include <csv.h>
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli.h"
#include "err.h"
#include "kanx.h"
#include "kernel.h"

static const struct kx_cmd *const commands[] = {
	&kx_cmd_inspect, &kx_cmd_predict, &kx_cmd_validate, &kx_cmd_serve, NULL
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kanx [--version [-v]] [--help] COMMAND [OPTIONS] [ARGS]\n\n"
	        "Run Kolmogorov-Arnold Network (.keras) checkpoints from the shell.\n\n"
	        "commands:\n");
	for (i = 0; commands[i]; i++)
		fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nRun 'kanx COMMAND --help' for a command's options; see kanx(1).\n");
}

static void
version(int verbose)
{
	unsigned maj, min, rel;

	printf("kanx %s\n", PACKAGE_VERSION);
	if (!verbose)
		return;
	H5get_libversion(&maj, &min, &rel);
	printf("libarchive %s\n", archive_version_string() + strlen("libarchive "));
	printf("hdf5 %u.%u.%u\n", maj, min, rel);
	printf("blis %s\n", bli_info_get_version_str());
	printf("kernel %s%s\n", kx_kernel_name(kx_kernel_current()),
	       kx_avx2_supported() ? "" : kx_kernel_current() == KX_KERNEL_BLIS ?
	       " (no AVX2+FMA on this CPU; KANX_KERNEL=portable gives the avx2 kernel's bits, slowly)" :
	       " (no AVX2+FMA on this CPU)");
	printf("cjson %s\n", cJSON_Version());
	printf("libyaml %s\n", yaml_get_version_string());
	printf("libcsv %d.%d.%d\n", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
}

/* A failed or short write to stdout is an error, never silent loss. */
static int
close_stdout(int rc)
{
	int bad = ferror(stdout);

	if (fclose(stdout) != 0 || bad) {
		if (errno == EPIPE)
			return rc ? rc : KX_EXIT_IO;  /* the reader went away: quietly */
		if (rc == KX_EXIT_OK || rc == KX_EXIT_PROBLEMS) {
			kx_msg("write error on standard output: %s", strerror(errno ? errno : EIO));
			return KX_EXIT_IO;
		}
	}
	return rc;
}

int
main(int argc, char **argv)
{
	const char *names[8];
	const char *near;
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return KX_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			for (i = 0; commands[i]; i++)
				if (strcmp(argv[2], commands[i]->name) == 0) {
					kx_cli_usage(stdout, commands[i]);
					return close_stdout(KX_EXIT_OK);
				}
		}
		usage(stdout);
		return close_stdout(KX_EXIT_OK);
	}
	if (kx_kernel_select(getenv("KANX_KERNEL")) != 0) {
		kx_msg("KANX_KERNEL: '%s' is not a kernel here (auto, avx2, portable, blis; avx2 needs "
		       "a CPU with AVX2 and FMA)", getenv("KANX_KERNEL"));
		return KX_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		version(argc > 2 && (strcmp(argv[2], "-v") == 0 || strcmp(argv[2], "--verbose") == 0));
		return close_stdout(KX_EXIT_OK);
	}
	for (i = 0; commands[i]; i++)
		if (strcmp(argv[1], commands[i]->name) == 0)
			return close_stdout(commands[i]->exec(argc - 1, argv + 1));

	for (i = 0; commands[i]; i++)
		names[i] = commands[i]->name;
	names[i] = NULL;
	near = kx_cli_nearest(argv[1][0] == '-' ? argv[1] + strspn(argv[1], "-") : argv[1], names);
	if (argv[1][0] == '-')
		kx_msg("unknown option '%s'", argv[1]);
	else if (near)
		kx_msg("unknown command '%s'; did you mean '%s'?", argv[1], near);
	else
		kx_msg("unknown command '%s'", argv[1]);
	fprintf(stderr, "Try 'kanx --help'.\n");
	return KX_EXIT_USAGE;
}

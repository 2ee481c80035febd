/* kanx - run Kolmogorov-Arnold Network checkpoints from the shell.
 *
 * Map of the source tree (bottom up):
 *   err.c       exit statuses; error values passed up from the lower layers
 *   clock.c     monotonic milliseconds, wall-clock seconds
 *   kxlimits.c  the table of limits, overflow-checked sizes
 *   sha256.c    SHA-256 of checkpoint files (inspect)
 *   kxzip.c     .keras zip -> members in memory (libarchive)
 *   json.c      JSON text checked as Python's json reads it (UTF-8, duplicate keys, ...)
 *   jsonconf.c  an archive's JSON member as a cJSON tree under the limits; config helpers
 *   spec.c      config.json / metadata.json -> layer specs (cJSON)
 *   graphrefs.c a Functional config's tensor references, input/output lists, call kwargs
 *   weights.c   model.weights.h5 -> float arrays, from memory (HDF5)
 *   act.c       Keras activations
 *   bspline.c   the KANLinear B-spline math: extended grids, Cox-de Boor, local de Boor
 *   kernel_ref.c   the reference kernel: every layer form exactly as Keras, plain loops
 *   kernel_blis.c  the BLIS kernel: [act(x) | B(x)] and one sgemm a layer
 *   kernel_panel.c the panel kernels' weight layouts (tiles, the sparse path)
 *   kernel_avx2.c  the AVX2 panel kernel (kernel_portable.c: its bits in plain C)
 *   kernel.c    the choice of a kernel, a layer's weights prepared for it, a run of layers
 *   layer*.c    the layer table (layers.c) and one file per layer kind
 *   check.c     the loader's gate: what validate calls an error, every command refuses
 *   model.c     load (through the gate), free, forward pass, fresh models
 *   numfmt.c    fast float parsing and shortest round-trip printing
 *   numfmt64.c  the same for doubles, for float64 models (Python repr's digits)
 *   rows.c      input readers: CSV/TSV (libcsv), JSON lines, API documents
 *   shard.c     predict --shard K/N: K/N from the command line or an array job, a shard's byte range
 *   output.c    output writers: CSV, TSV, JSON lines, API response
 *   request.c   one-pass reader of API request documents, x straight to float32
 *               (to double for a float64 model)
 *   diag.c      positioned problems (diagnostics): what validate reports
 *   yamltree.c  YAML text -> a node tree with positions (libyaml), YAML 1.1 scalars as PyYAML
 *   pyval.c     Python's repr(), str(), bool(), int(), float() of YAML values
 *   yamlcfg.c   kanx YAML training configs: the library's validate_config() rules
 *   stop.c      SIGTERM, SIGINT, SIGHUP, SIGPIPE as a stop flag (and SIGXFSZ ignored)
 *   sink.c      output written in whole lines (or records), never cut mid-line
 *   ofile.c     an output file replaced whole or not at all (-o FILE)
 *   plot.c      edge functions for people: --edges selection, importance, CSV, SVG pictures
 *   typo.c      did-you-mean: the known word nearest a misspelt one
 *   cli.c       option tables, --help, write-error messages
 *   cmd_*.c     one file per command: inspect, predict, validate, serve-stdin
 *   main.c      the command table, --version, dispatch, stdout checks
 */
#include "config.h"

#include <archive.h>
#include <blis.h>
#include <cjson/cJSON.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "cli.h"
#include "err.h"
#include "kanx.h"
#include "kernel.h"
#include "sink.h"
#include "stop.h"
#include "typo.h"

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

/* Descriptors 0, 1 and 2 are open before kanx opens anything, so that no
 * file it opens (a rejects file, an output file) takes the place of a
 * closed standard output or error. A closed one is opened on /dev/null in
 * the mode it is not used in (as gnulib's stdopen does), so that using it
 * fails: a write to a closed standard output is an ordinary write error. */
static int
open_std_fds(void)
{
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
		if (nfd < 0)
			return -1;
		if (nfd != fd) {
			/* a lower descriptor was closed too and took it: move it */
			if (dup2(nfd, fd) < 0)
				return -1;
			close(nfd);
		}
	}
	return 0;
}

/* The end of every command: a failed write to standard output is an
 * error, never silent loss, reported here the one way for all commands;
 * a stop by a signal is exit status 128+signal, with a message. */
static int
finish(const char *cmd, int rc)
{
	struct kx_sink *out = kx_sink_stdout();
	int bad, err = 0, sig;

	/* everything but --help and --version, then those (stdio) */
	if (kx_sink_flush(out) != 0 && out->err)
		err = out->err;
	kx_sink_fini(out);
	errno = 0;
	bad = ferror(stdout);
	if ((fclose(stdout) != 0 || bad) && !err)
		err = errno ? errno : EIO;
	sig = kx_stop_signal();
	if (err == EPIPE) {
		/* the reader went away: end as other filters do, quietly */
		if (!kx_stop_ignored(SIGPIPE)) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		return rc && rc != KX_EXIT_PROBLEMS ? rc : KX_EXIT_IO;
	}
	if (sig) {
		const char *note = kx_cli_get_note();
		kx_msg("%s: stopped by %s%s%s", cmd, kx_stop_name(sig), note[0] ? "; " : "", note);
		return 128 + sig;
	}
	if (err) {
		kx_cli_write_error("standard output", err);
		if (rc == KX_EXIT_OK || rc == KX_EXIT_PROBLEMS)
			rc = KX_EXIT_IO;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	const char *names[8];
	const char *near;
	size_t i;

	if (open_std_fds() != 0)
		return KX_EXIT_IO;  /* not even /dev/null: nowhere to say so */
	if (kx_stop_init() != 0) {
		kx_msg("cannot set up signal handling: %s", strerror(errno));
		return KX_EXIT_INTERNAL;
	}
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
					return finish("kanx", KX_EXIT_OK);
				}
		}
		usage(stdout);
		return finish("kanx", KX_EXIT_OK);
	}
	if (kx_kernel_select(getenv("KANX_KERNEL")) != 0) {
		kx_msg("KANX_KERNEL: '%s' is not a kernel here (auto, avx2, portable, blis; avx2 needs "
		       "a CPU with AVX2 and FMA)", getenv("KANX_KERNEL"));
		return KX_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		version(argc > 2 && (strcmp(argv[2], "-v") == 0 || strcmp(argv[2], "--verbose") == 0));
		return finish("kanx", KX_EXIT_OK);
	}
	for (i = 0; commands[i]; i++)
		if (strcmp(argv[1], commands[i]->name) == 0)
			return finish(commands[i]->name, commands[i]->exec(argc - 1, argv + 1));

	for (i = 0; commands[i]; i++)
		names[i] = commands[i]->name;
	names[i] = NULL;
	near = kx_typo_nearest(argv[1][0] == '-' ? argv[1] + strspn(argv[1], "-") : argv[1], names);
	if (argv[1][0] == '-')
		kx_msg("unknown option '%s'", argv[1]);
	else if (near)
		kx_msg("unknown command '%s'; did you mean '%s'?", argv[1], near);
	else
		kx_msg("unknown command '%s'", argv[1]);
	fprintf(stderr, "Try 'kanx --help'.\n");
	return KX_EXIT_USAGE;
}

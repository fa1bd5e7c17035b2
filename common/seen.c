#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "err.h"
#include "publish.h"
#include "seen.h"
#include "xalloc.h"

static const char magic[8] = {'D', 'H', 'S', 'E', 'E', 'N', '1', '\n'};

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Read exactly n bytes: 1, or 0 at a short end; exit 4 on errors. */
static int
read_full(int fd, void *p, size_t n, const char *path)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)p + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			dh_die_errno(DH_EXIT_IO, "%s", path);
		if (k == 0)
			return 0;
		got += (size_t)k;
	}
	return 1;
}

int
dh_seen_load(const char *path, const char *spec, struct dh_keyset *s, uint64_t val)
{
	unsigned char hdr[24], buf[16 * 4096], sum[16];
	XXH3_state_t *st;
	XXH128_hash_t h;
	uint64_t n, l, done = 0;
	char *fspec;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", path);
	if (!read_full(fd, hdr, sizeof(hdr), path) || memcmp(hdr, magic, 8) != 0)
		dh_die(DH_EXIT_DATA, "%s: not a dh-dedup seen file (or one of another version)", path);
	n = get64(hdr + 8);
	l = get64(hdr + 16);
	if (l > 1 << 20)
		dh_die(DH_EXIT_DATA, "%s: damaged seen file (key spec of %llu bytes)", path,
		       (unsigned long long)l);
	st = XXH3_createState();
	if (st == NULL)
		dh_die(DH_EXIT_IO, "out of memory");
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, hdr, sizeof(hdr));
	fspec = dh_xmalloc((size_t)l + 1);
	if (!read_full(fd, fspec, (size_t)l, path))
		dh_die(DH_EXIT_DATA, "%s: truncated seen file", path);
	fspec[l] = '\0';
	XXH3_128bits_update(st, fspec, (size_t)l);
	if (strlen(fspec) != l || strcmp(fspec, spec) != 0)
		dh_usage_error("%s holds the keys of %s, not of %s: use another --seen file", path,
			       fspec, spec);
	while (done < n) {
		size_t k = n - done < 4096 ? (size_t)(n - done) : 4096, i;

		if (!read_full(fd, buf, 16 * k, path))
			dh_die(DH_EXIT_DATA, "%s: truncated seen file (%llu of %llu keys)", path,
			       (unsigned long long)done, (unsigned long long)n);
		XXH3_128bits_update(st, buf, 16 * k);
		for (i = 0; i < k; i++) {
			struct dh_key key = {get64(buf + 16 * i), get64(buf + 16 * i + 8)};

			if ((key.lo | key.hi) == 0)
				dh_die(DH_EXIT_DATA, "%s: damaged seen file (a zero key)", path);
			dh_keyset_put(s, key, val, NULL);
		}
		done += k;
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	put64(buf, h.low64);
	put64(buf + 8, h.high64);
	if (!read_full(fd, sum, 16, path) || memcmp(sum, buf, 16) != 0 ||
	    read_full(fd, buf, 1, path))
		dh_die(DH_EXIT_DATA, "%s: damaged seen file (its checksum does not match)", path);
	close(fd);
	free(fspec);
	return 1;
}

void
dh_seen_save(const char *path, const char *spec, const struct dh_keyset *s)
{
	struct dh_tmpfile t;
	struct dh_buf dir = DH_BUF_INIT;
	const char *slash = strrchr(path, '/');
	unsigned char hdr[24], k16[16];
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h;
	size_t i, l = strlen(spec);

	if (st == NULL)
		dh_die(DH_EXIT_IO, "out of memory");
	dh_dir_of(&dir, path);
	dh_tmp_create(&t, dir.data, slash ? slash + 1 : path, NULL);
	XXH3_128bits_reset(st);
	memcpy(hdr, magic, 8);
	put64(hdr + 8, s->n);
	put64(hdr + 16, l);
	dh_out_write(&t.out, hdr, sizeof(hdr));
	XXH3_128bits_update(st, hdr, sizeof(hdr));
	dh_out_write(&t.out, spec, l);
	XXH3_128bits_update(st, spec, l);
	for (i = 0; i < s->cap; i++) {
		if (!dh_keyset_used(s, i))
			continue;
		put64(k16, dh_keyset_key(s, i).lo);
		put64(k16 + 8, dh_keyset_key(s, i).hi);
		dh_out_write(&t.out, k16, 16);
		XXH3_128bits_update(st, k16, 16);
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	put64(k16, h.low64);
	put64(k16 + 8, h.high64);
	dh_out_write(&t.out, k16, 16);
	/* a run that fails leaves the file as it was, a failed fsync of its
	 * directory after the rename included */
	dh_tmp_replace(&t);
	dh_buf_release(&dir);
}

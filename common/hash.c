#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include "err.h"
#include "hash.h"
#include "xalloc.h"

static void
to_hex(XXH128_hash_t h, char hex[DH_HASH_HEX])
{
	static const char digits[] = "0123456789abcdef";
	XXH128_canonical_t c;
	size_t i;

	XXH128_canonicalFromHash(&c, h);
	for (i = 0; i < sizeof(c.digest); i++) {
		hex[2 * i] = digits[c.digest[i] >> 4];
		hex[2 * i + 1] = digits[c.digest[i] & 15];
	}
	hex[32] = '\0';
}

void
dh_hash_bytes(const void *p, size_t n, char hex[DH_HASH_HEX])
{
	to_hex(XXH3_128bits(p, n), hex);
}

int
dh_hash_file(const char *path, char hex[DH_HASH_HEX], unsigned long long *size)
{
	XXH3_state_t *st = XXH3_createState();
	char *buf = dh_xmalloc(1 << 20);
	unsigned long long total = 0;
	int fd, e;
	ssize_t r;

	if (st == NULL)
		dh_die(DH_EXIT_IO, "out of memory (xxhash state)");
	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		goto fail;
	XXH3_128bits_reset(st);
	for (;;) {
		r = read(fd, buf, 1 << 20);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail_fd;
		if (r == 0)
			break;
		XXH3_128bits_update(st, buf, (size_t)r);
		total += (unsigned long long)r;
	}
	close(fd);
	to_hex(XXH3_128bits_digest(st), hex);
	XXH3_freeState(st);
	free(buf);
	if (size)
		*size = total;
	return 0;
fail_fd:
	e = errno;
	close(fd);
	errno = e;
fail:
	e = errno;
	XXH3_freeState(st);
	free(buf);
	errno = e;
	return -1;
}

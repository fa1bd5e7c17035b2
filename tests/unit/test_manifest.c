/* Manifests round-trip through jansson; publish leaves no temp files. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"
#include "publish.h"
#include "unit.h"

static int
count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void
test_roundtrip(const char *dir)
{
	struct dh_manifest m, back;
	struct dh_buf err = DH_BUF_INIT, path = DH_BUF_INIT;
	static char c0[] = "dh-partition", c1[] = "--by", c2[] = "dt=ts:day",
		    c3[] = "clean/clicks";
	static char table[] = "clean/clicks", part[] = "dt=2026-11-20",
		    fmt[] = "jsonl", zstd[] = "zstd";
	char *cmd[] = {c0, c1, c2, c3};
	char *text;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.table = table;
	m.partition = part;
	m.format = fmt;
	m.compression = zstd;
	m.command = cmd;
	m.ncommand = 4;
	snprintf(m.created, sizeof(m.created), "2026-11-20T10:00:00Z");
	dh_manifest_add_file(&m, "part-00000.jsonl.zst", 123, 1000,
			     "06b05ab6733a618578af5f94892f3950");
	dh_manifest_add_input(&m, "raw/clicks/ingest_date=2026-11-20", 1, 0,
			      "99aa06d3014798d86001c324468d497f");
	dh_manifest_add_input(&m, "/abs/transform.sh", 0, 88,
			      "06b05ab6733a618578af5f94892f3950");
	text = dh_manifest_dump(&m, &len);
	CHECK(strstr(text, "\"dh_manifest\": 1") != NULL);
	CHECK(strstr(text, "\"records\": 1000") != NULL);
	CHECK(strstr(text, "\"manifest_xxh128\": \"99aa") != NULL);
	dh_publish_bytes(dir, "_MANIFEST", text, len);
	CHECK(count_entries(dir, ".tmp.") == 0);
	dh_buf_addf(&path, "%s/_MANIFEST", dir);
	CHECK(dh_manifest_load(path.data, &back, &err) == 0);
	CHECK(back.nfiles == 1 && back.files[0].records == 1000 &&
	      back.files[0].bytes == 123);
	CHECK(strcmp(back.files[0].name, "part-00000.jsonl.zst") == 0);
	CHECK(back.ninputs == 2 && back.inputs[0].partition && !back.inputs[1].partition &&
	      back.inputs[1].bytes == 88);
	CHECK(strcmp(back.compression, "zstd") == 0);
	CHECK(back.ncommand == 4 && strcmp(back.command[2], "dt=ts:day") == 0);
	dh_manifest_release(&back);
	free(text);
	/* m's strings are static here: free only what the adders made */
	free(m.files[0].name);
	free(m.files);
	free(m.inputs[0].path);
	free(m.inputs[1].path);
	free(m.inputs);
	dh_buf_release(&path);
	dh_buf_release(&err);
}

static void
test_refuses(const char *dir)
{
	static const char *const bad[] = {
		"{\"dh_manifest\":1,\"table\":\"t\",\"partition\":\"p=1\",\"format\":\"csv\",\"files\":[{\"name\":\"../x\",\"bytes\":1,\"records\":1,\"xxh128\":\"99aa06d3014798d86001c324468d497f\"}]}",
		"{\"dh_manifest\":1,\"table\":\"t\",\"partition\":\"p=1\",\"format\":\"csv\",\"files\":[{\"name\":\"a/b\",\"bytes\":1,\"records\":1,\"xxh128\":\"99aa06d3014798d86001c324468d497f\"}]}",
		"{\"dh_manifest\":1,\"table\":\"t\",\"partition\":\"p=1\",\"format\":\"csv\",\"files\":[{\"name\":\"_SUCCESS\",\"bytes\":1,\"records\":1,\"xxh128\":\"99aa06d3014798d86001c324468d497f\"}]}",
		"{\"dh_manifest\":2}",
		"{\"dh_manifest\":1,\"table\":\"t\",\"table\":\"u\"}",
		"not json",
	};
	struct dh_buf path = DH_BUF_INIT;
	size_t i;

	dh_buf_addf(&path, "%s/_MANIFEST", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dh_manifest m;
		struct dh_buf err = DH_BUF_INIT;

		dh_publish_bytes(dir, "_MANIFEST", bad[i], strlen(bad[i]));
		CHECK(dh_manifest_load(path.data, &m, &err) < 0);
		CHECK(err.len > 0);
		dh_buf_release(&err);
	}
	dh_buf_release(&path);
}

int
main(void)
{
	char dir[] = "/tmp/dh-test-manifest.XXXXXX";
	char sub[64];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/a/b=1", dir);
	dh_mkdirs(sub);
	CHECK(access(sub, F_OK) == 0);
	test_roundtrip(sub);
	test_refuses(sub);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
	return unit_done("test_manifest");
}

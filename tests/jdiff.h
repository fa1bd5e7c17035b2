/*
 * The differential oracle for the JSON-lines scanner: jansson 2.14 with
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, where a record must be an
 * object.  Shared by tests/unit/test_json.c and tests/fuzz/fuzz_jsonl.c.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "record.h"

enum { JDIFF_AGREE, JDIFF_DISAGREE, JDIFF_SKIP };

/*
 * Compare scanner and jansson on one line.  Numbers jansson cannot hold
 * (numeric overflow) are accepted by dh on purpose: such lines are skipped.
 * A raw NUL byte is never valid JSON, whatever jansson says (see below).
 * When both accept, the members must match: names, order-free, and string
 * values decoded.
 */
static int
jdiff_line(const char *p, size_t n, const char **why)
{
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	struct dh_record rec = DH_RECORD_INIT;
	struct dh_json_err err;
	struct dh_buf s = DH_BUF_INIT;
	int ours = dh_json_scan_object(p, n, &rec, &err) == 0;
	/*
	 * jansson 2.14 skips a raw NUL byte that follows a number or literal
	 * (its stream uses NUL as an empty-buffer mark), so it accepts
	 * {"a":1<NUL>}.  No valid JSON text holds a raw NUL: count those as
	 * rejected.
	 */
	int theirs = j != NULL && json_is_object(j) && memchr(p, 0, n) == NULL;
	int rc = JDIFF_AGREE;
	size_t i;

	*why = "";
	if (j == NULL && json_error_code(&je) == json_error_numeric_overflow) {
		rc = JDIFF_SKIP;
	} else if (ours != theirs) {
		rc = JDIFF_DISAGREE;
		*why = ours ? "scanner accepts, jansson rejects"
			    : "scanner rejects, jansson accepts";
	} else if (ours) {
		if (json_object_size(j) != rec.n) {
			rc = JDIFF_DISAGREE;
			*why = "member count differs";
		}
		for (i = 0; i < rec.n && rc == JDIFF_AGREE; i++) {
			json_t *v = json_object_getn(j, rec.f[i].name, rec.f[i].nlen);

			if (v == NULL) {
				rc = JDIFF_DISAGREE;
				*why = "member name differs";
			} else if (rec.f[i].type == DH_V_JSTR) {
				dh_buf_reset(&s);
				dh_json_unescape(rec.f[i].val, rec.f[i].vlen, &s);
				if (!json_is_string(v) ||
				    json_string_length(v) != s.len ||
				    memcmp(json_string_value(v), s.data, s.len) != 0) {
					rc = JDIFF_DISAGREE;
					*why = "string value differs";
				}
			} else if ((rec.f[i].type == DH_V_OBJ) != json_is_object(v) ||
				   (rec.f[i].type == DH_V_ARR) != json_is_array(v) ||
				   (rec.f[i].type == DH_V_NUM) != json_is_number(v)) {
				rc = JDIFF_DISAGREE;
				*why = "value type differs";
			}
		}
	}
	json_decref(j);
	dh_record_release(&rec);
	dh_buf_release(&s);
	return rc;
}

/*
 * The same text scanned with a hint (which the scan may update) and
 * without: the same result, error offset and message, and fields (names,
 * values and types, in order), flattened or not.  JDIFF_AGREE or
 * JDIFF_DISAGREE with *why set.
 */
static int
jdiff_hinted(const char *p, size_t n, int flatten, struct dh_json_hint *hint,
	     const char **why)
{
	struct dh_record a = DH_RECORD_INIT, b = DH_RECORD_INIT;
	struct dh_json_err ea = {0, NULL}, eb = {0, NULL};
	int ra = dh_json_scan_flat(p, n, &a, flatten, '.', &ea);
	int rb = dh_json_scan_hinted(p, n, &b, flatten, '.', hint, NULL, &eb);
	int rc = JDIFF_AGREE;
	size_t i;

	*why = "";
	if (ra != rb) {
		rc = JDIFF_DISAGREE;
		*why = rb == 0 ? "hinted scan accepts, plain scan rejects"
			       : "hinted scan rejects, plain scan accepts";
	} else if (ra != 0) {
		if (ea.off != eb.off || strcmp(ea.msg, eb.msg) != 0) {
			rc = JDIFF_DISAGREE;
			*why = "hinted scan fails elsewhere or otherwise";
		}
	} else if (a.n != b.n) {
		rc = JDIFF_DISAGREE;
		*why = "hinted scan has another field count";
	} else {
		for (i = 0; i < a.n && rc == JDIFF_AGREE; i++)
			if (a.f[i].nlen != b.f[i].nlen || a.f[i].vlen != b.f[i].vlen ||
			    a.f[i].type != b.f[i].type ||
			    memcmp(a.f[i].name, b.f[i].name, a.f[i].nlen) != 0 ||
			    memcmp(a.f[i].val, b.f[i].val, a.f[i].vlen) != 0) {
				rc = JDIFF_DISAGREE;
				*why = "hinted scan has another field";
			}
	}
	dh_record_release(&a);
	dh_record_release(&b);
	return rc;
}

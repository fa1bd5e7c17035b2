/* Data expectations (common/expect), profiles and the robust z-score
 * (common/profile): parsed text, records held to them, what they report. */
#include <dirent.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "json.h"
#include "profile.h"
#include "unit.h"

/* ---- parsing ---------------------------------------------------------- */

static struct dh_buf got; /* the last parse_text: normalised text, or "error: ..." */

static void
parse_text(const char *text)
{
	struct dh_expect e;
	struct dh_buf err = DH_BUF_INIT;

	dh_buf_reset(&got);
	if (dh_expect_parse(&e, text, &err) == 0) {
		CHECK(err.len == 0);
		dh_buf_adds(&got, e.text);
		dh_expect_release(&e);
	} else {
		/* a failed parse leaves nothing behind */
		CHECK(e.text == NULL && e.args == NULL && e.nargs == 0);
		dh_buf_adds(&got, "error: ");
		dh_buf_add(&got, err.data ? err.data : "", err.len);
	}
	dh_buf_release(&err);
}

#define CHECK_PARSE(text, want)                                                \
	do {                                                                   \
		parse_text(text);                                              \
		CHECK_MEM(got.data, got.len, want);                            \
	} while (0)

#define KINDS "(not_null, exists, unique, between, match, in, type or rows)"

static void
parse_normalised(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* blanks around names, arguments, parens and mostly */
		{"between( price , 0 , 1000 )   mostly=0.99", "between(price,0,1000) mostly=0.99"},
		{"  not_null ( a )  ", "not_null(a)"},
		{"\tnot_null(\ta\t)\tmostly=0.25\t", "not_null(a) mostly=0.25"},
		{"unique( a , b ,c )", "unique(a,b,c)"},
		{"type(a, number)", "type(a,number)"},
		/* mostly inside the parens, and after them; its number reformatted */
		{"not_null(a, mostly=0.5)", "not_null(a) mostly=0.5"},
		{"not_null( a ,mostly=0.5 )", "not_null(a) mostly=0.5"},
		{"not_null(a)mostly=.5", "not_null(a) mostly=0.5"},
		{"exists(a) mostly=1", "exists(a) mostly=1"},
		{"exists(a) mostly=0", "exists(a) mostly=0"},
		{"exists(a) mostly=1e-1", "exists(a) mostly=0.1"},
		{"exists(a) mostly=0.990", "exists(a) mostly=0.99"},
		{"in(a, x, mostly=0.75)", "in(a,x) mostly=0.75"},
		/* quotes: dropped when not needed, ' with doubling when needed */
		{"not_null('a')", "not_null(a)"},
		{"not_null(\"user.id\")", "not_null(user.id)"},
		{"in(city, 'New York', \"O\"\"Brien\", 'it''s', plain)",
		 "in(city,'New York','O\"Brien','it''s',plain)"},
		{"in(a,'')", "in(a,'')"},
		{"in(a, \"\")", "in(a,'')"},
		{"in(a, 'x,y', \"(z)\", 'x\ty')", "in(a,'x,y','(z)','x\ty')"},
		{"in(a, 'say \"hi\"')", "in(a,'say \"hi\"')"},
		{"between('unit price',0,1)", "between('unit price',0,1)"},
		/* match's pattern is always quoted */
		{"match(name, ^a+$)", "match(name,'^a+$')"},
		{"match( name , \"it's\" )", "match(name,'it''s')"},
		{"match(a,'(x|y)')  mostly=0.5", "match(a,'(x|y)') mostly=0.5"},
		{"match('a b', x)", "match('a b','x')"},
		/* bounds: as written; an empty one stays empty */
		{"between( a , , 5 )", "between(a,,5)"},
		{"between(a,,)", "between(a,,)"},
		{"between(a, '' ,1)", "between(a,,1)"},
		{"between(a,-1.5,+2)", "between(a,-1.5,+2)"},
		{"between(a,1e2,1E3)", "between(a,1e2,1E3)"},
		{"rows( 1 , )", "rows(1,)"},
		{"rows(,)", "rows(,)"},
		{"rows( 0 , 10 )", "rows(0,10)"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *first;

		CHECK_PARSE(cases[i].in, cases[i].out);
		/* the normalised text parses to itself */
		first = strdup(got.data);
		CHECK_PARSE(first, cases[i].out);
		free(first);
	}
}

static void
parse_fields(void)
{
	struct dh_expect e;
	struct dh_buf err = DH_BUF_INIT;

	CHECK(dh_expect_parse(&e, "between(price,,1000) mostly=0.9", &err) == 0);
	CHECK(e.kind == DH_EXPECT_BETWEEN && e.nargs == 3 && e.nfields == 1);
	CHECK(!e.has_lo && e.has_hi && strcmp(e.hi, "1000") == 0);
	CHECK(e.mostly == 0.9);
	dh_expect_release(&e);

	CHECK(dh_expect_parse(&e, "in(a,'it''s',\"\")", &err) == 0);
	CHECK(e.kind == DH_EXPECT_IN && e.nargs == 3 && e.nfields == 1);
	CHECK(e.alens[1] == 4 && memcmp(e.args[1], "it's", 4) == 0);
	CHECK(e.alens[2] == 0);
	CHECK(e.mostly == 1);
	dh_expect_release(&e);

	CHECK(dh_expect_parse(&e, "unique(a,b.c,d)", &err) == 0);
	CHECK(e.kind == DH_EXPECT_UNIQUE && e.nargs == 3 && e.nfields == 3);
	CHECK(e.alens[1] == 3 && memcmp(e.args[1], "b.c", 3) == 0);
	dh_expect_release(&e);

	CHECK(dh_expect_parse(&e, "rows(5,)", &err) == 0);
	CHECK(e.kind == DH_EXPECT_ROWS && e.nfields == 0 && e.has_lo && !e.has_hi);
	CHECK(strcmp(e.lo, "5") == 0);
	dh_expect_release(&e);

	CHECK(dh_expect_parse(&e, "type(a,bool)", &err) == 0);
	CHECK(e.kind == DH_EXPECT_TYPE && e.nfields == 1 && strcmp(e.args[1], "bool") == 0);
	dh_expect_release(&e);

	CHECK(err.len == 0);
	dh_buf_release(&err);
}

static void
parse_errors(void)
{
	char want[512];
	regex_t re;
	int r;

	/* the name */
	CHECK_PARSE("nul(a)", "error: column 1: unknown expectation \"nul\" " KINDS);
	CHECK_PARSE("  foo_bar(a)", "error: column 3: unknown expectation \"foo_bar\" " KINDS);
	CHECK_PARSE("", "error: column 1: expected an expectation: not_null, exists, unique, "
			"between, match, in, type or rows");
	CHECK_PARSE("  (a)", "error: column 3: expected an expectation: not_null, exists, unique, "
			     "between, match, in, type or rows");
	/* the parens */
	CHECK_PARSE("not_null a", "error: column 10: expected '(' after not_null");
	CHECK_PARSE("not_null", "error: column 9: expected '(' after not_null");
	CHECK_PARSE("not_null2(a)", "error: column 9: expected '(' after not_null");
	CHECK_PARSE("not_null(a", "error: column 11: expected ',' or ')'");
	CHECK_PARSE("not_null(a ", "error: column 12: expected ',' or ')'");
	CHECK_PARSE("in(a,'x'y)", "error: column 9: expected ',' or ')'");
	CHECK_PARSE("in(a,b'c')", "error: column 7: expected ',' or ')'");
	/* quotes */
	CHECK_PARSE("match(a,'abc", "error: column 9: a quote that does not close");
	CHECK_PARSE("in(a, \"x\"\"", "error: column 7: a quote that does not close");
	CHECK_PARSE("in(a, 'x)", "error: column 7: a quote that does not close");
	/* arguments */
	CHECK_PARSE("in(a,,b)", "error: column 6: expected an argument");
	CHECK_PARSE("unique()", "error: column 8: expected an argument");
	CHECK_PARSE("between(,1,2)", "error: column 9: expected an argument");
	CHECK_PARSE("not_null(a,b)", "error: column 1: not_null takes 1 argument, not 2");
	CHECK_PARSE("not_null(mostly=0.5)", "error: column 1: not_null takes 1 argument, not 0");
	CHECK_PARSE("  between(a,1)", "error: column 3: between takes 3 arguments, not 2");
	CHECK_PARSE("between(a,1,2,3)", "error: column 1: between takes 3 arguments, not 4");
	CHECK_PARSE("in(a)", "error: column 1: in takes at least 2 arguments, not 1");
	CHECK_PARSE("unique(a) x", "error: column 11: expected the end, or mostly=FRACTION");
	CHECK_PARSE("match(a)", "error: column 1: match takes 2 arguments, not 1");
	CHECK_PARSE("rows()", "error: column 1: rows takes 2 arguments, not 1");
	CHECK_PARSE("rows(1,2,3)", "error: column 1: rows takes 2 arguments, not 3");
	CHECK_PARSE("type(a,string,x)", "error: column 1: type takes 2 arguments, not 3");
	/* mostly */
	CHECK_PARSE("exists(a) mostly=1.5",
		    "error: column 18: mostly must be a fraction from 0 to 1, not \"1.5\"");
	CHECK_PARSE("exists(a, mostly=x)",
		    "error: column 18: mostly must be a fraction from 0 to 1, not \"x\"");
	CHECK_PARSE("exists(a) mostly=",
		    "error: column 18: mostly must be a fraction from 0 to 1, not \"\"");
	CHECK_PARSE("exists(a) mostly=-0.1",
		    "error: column 18: mostly must be a fraction from 0 to 1, not \"-0.1\"");
	CHECK_PARSE("exists(a) mostly=nan",
		    "error: column 18: mostly must be a fraction from 0 to 1, not \"nan\"");
	CHECK_PARSE("exists(a) mostly=1.0000001",
		    "error: column 18: mostly must be a fraction from 0 to 1, not \"1.0000001\"");
	CHECK_PARSE("exists(a) often=0.5", "error: column 11: expected the end, or mostly=FRACTION");
	CHECK_PARSE("exists(a, mostly=0.5) mostly=0.5",
		    "error: column 23: expected the end, or mostly=FRACTION");
	CHECK_PARSE("exists(a) mostly=0.5 x", "error: column 22: expected the end");
	CHECK_PARSE("exists(a, mostly=0.5, b)", "error: column 21: expected ')' after mostly=");
	CHECK_PARSE("rows(1,2) mostly=0.5",
		    "error: column 1: rows counts the whole input: it takes no mostly");
	CHECK_PARSE(" rows(1,2,mostly=0.5)",
		    "error: column 2: rows counts the whole input: it takes no mostly");
	/* fields */
	CHECK_PARSE("not_null('')", "error: column 1: not_null: an empty field name");
	CHECK_PARSE("unique(a, '')", "error: column 1: unique: an empty field name");
	CHECK_PARSE("between(\"\",1,2)", "error: column 1: between: an empty field name");
	CHECK_PARSE("  match('', x)", "error: column 3: match: an empty field name");
	CHECK_PARSE("in('', x)", "error: column 1: in: an empty field name");
	/* bounds */
	CHECK_PARSE("between(a,10,1)", "error: column 1: between: the low bound 10 is above the high 1");
	CHECK_PARSE("between(a,1.5,1.25)",
		    "error: column 1: between: the low bound 1.5 is above the high 1.25");
	CHECK_PARSE("between(a,1,1)", "between(a,1,1)");
	CHECK_PARSE("between(a,x,5)", "error: column 1: between: not a number: \"x\"");
	CHECK_PARSE("between(a,0,inf)", "error: column 1: between: not a number: \"inf\"");
	CHECK_PARSE("between(a,0,0x10)", "error: column 1: between: not a number: \"0x10\"");
	CHECK_PARSE("between(a,9223372036854775807,9223372036854775806)",
		    "error: column 1: between: the low bound 9223372036854775807 is above the "
		    "high 9223372036854775806");
	/* a bound of 64 bytes or more is compared by its double (valgrind
	 * found the other side's value read uninitialised there) */
	CHECK_PARSE("between(a,0.5,9999999999999999999999999999999999999999999999999999999999999999999999)", "between(a,0.5,9999999999999999999999999999999999999999999999999999999999999999999999)");
	CHECK_PARSE("between(a,9999999999999999999999999999999999999999999999999999999999999999999999,0.5)",
		    "error: column 1: between: the low bound 9999999999999999999999999999999999999999999999999999999999999999999999 is above the high 0.5");
	CHECK_PARSE("between(a,1e80,9999999999999999999999999999999999999999999999999999999999999999999999)",
		    "error: column 1: between: the low bound 1e80 is above the high 9999999999999999999999999999999999999999999999999999999999999999999999");
	CHECK_PARSE("rows(-1,5)", "error: column 1: rows: not a count: \"-1\"");
	CHECK_PARSE("rows(1.5,)", "error: column 1: rows: not a count: \"1.5\"");
	CHECK_PARSE("rows(,2.0)", "error: column 1: rows: not a count: \"2.0\"");
	CHECK_PARSE("rows(1e3,)", "error: column 1: rows: not a count: \"1e3\"");
	CHECK_PARSE("rows(x,)", "error: column 1: rows: not a count: \"x\"");
	CHECK_PARSE("rows(5,1)", "error: column 1: rows: the low bound 5 is above the high 1");
	/* types */
	CHECK_PARSE("type(a,integer)", "error: column 1: type: no type \"integer\" (string, "
				       "number, bool, object or array)");
	CHECK_PARSE(" type(a,null)", "error: column 2: type: no type \"null\" (string, "
				     "number, bool, object or array)");
	CHECK_PARSE("type(a,String)", "error: column 1: type: no type \"String\" (string, "
				      "number, bool, object or array)");
	/* regular expressions: the message is regerror's */
	r = regcomp(&re, "(", REG_EXTENDED | REG_NOSUB);
	CHECK(r != 0);
	if (r != 0) {
		char why[256];

		regerror(r, &re, why, sizeof(why));
		snprintf(want, sizeof(want), "error: column 1: match: not a regular expression: %s",
			 why);
		CHECK_PARSE("match(a,'(')", want);
		snprintf(want, sizeof(want), "error: column 3: match: not a regular expression: %s",
			 why);
		CHECK_PARSE("  match(a, \"(\")", want);
	}
	r = regcomp(&re, "a{2,1}", REG_EXTENDED | REG_NOSUB);
	CHECK(r != 0);
	if (r != 0) {
		char why[256];

		regerror(r, &re, why, sizeof(why));
		snprintf(want, sizeof(want), "error: column 1: match: not a regular expression: %s",
			 why);
		CHECK_PARSE("match(a,'a{2,1}')", want);
	}
	/* blanks inside a bare argument are kept */
	CHECK_PARSE("in(city, New York)", "in(city,'New York')");
}

/* ---- records held to expectations ------------------------------------- */

static unsigned long long line_no;

/* Parse text and start it over with max_samples; 1 when it parsed. */
static int
expect(struct dh_expect *e, const char *text, size_t max_samples)
{
	struct dh_buf err = DH_BUF_INIT;
	int rc = dh_expect_parse(e, text, &err);

	if (rc != 0)
		fprintf(stderr, "%s: %s\n", text, err.data);
	dh_buf_release(&err);
	if (rc == 0)
		dh_expect_reset(e, max_samples);
	return rc == 0;
}

#define EXPECT(e, text, max)                                                   \
	do {                                                                   \
		int ok_ = expect((e), (text), (max));                          \
		CHECK(ok_);                                                    \
		if (!ok_)                                                      \
			return;                                                \
	} while (0)

/* Feed a record whose field name is val of type t, plus "zz"; with val
 * NULL, a record of "zz" alone (name missing). */
static void
feed1(struct dh_expect *e, const char *name, const char *val, enum dh_vtype t)
{
	struct dh_record r = DH_RECORD_INIT;

	if (val != NULL)
		dh_record_add(&r, name, strlen(name), val, strlen(val), t);
	dh_record_add(&r, "zz", 2, "1", 1, DH_V_STR);
	r.raw = "raw";
	r.rawlen = 3;
	r.line = ++line_no;
	dh_expect_feed(e, &r, "f");
	dh_record_release(&r);
}

/* Feed a record of two fields (a NULL value: the field missing). */
static void
feed2(struct dh_expect *e, const char *n1, const char *v1, enum dh_vtype t1, const char *n2,
      const char *v2, enum dh_vtype t2)
{
	struct dh_record r = DH_RECORD_INIT;

	if (v1 != NULL)
		dh_record_add(&r, n1, strlen(n1), v1, strlen(v1), t1);
	if (v2 != NULL)
		dh_record_add(&r, n2, strlen(n2), v2, strlen(v2), t2);
	r.raw = "raw";
	r.rawlen = 3;
	r.line = ++line_no;
	dh_expect_feed(e, &r, "f");
	dh_record_release(&r);
}

/* The same kinds of value, nulls and a missing field, for not_null and exists. */
static void
feed_mix(struct dh_expect *e)
{
	feed1(e, "a", "x", DH_V_STR);
	feed1(e, "a", "", DH_V_STR);      /* a null */
	feed1(e, "a", "null", DH_V_NULL); /* a null */
	feed1(e, "a", NULL, DH_V_STR);    /* missing */
	feed1(e, "a", "\"\"", DH_V_JSTR); /* an empty JSON string is a value */
	feed1(e, "a", "0", DH_V_NUM);
	feed1(e, "a", "false", DH_V_FALSE);
	feed1(e, "a", "{}", DH_V_OBJ);
}

static void
nulls_and_missing(void)
{
	struct dh_expect e;

	EXPECT(&e, "not_null(a)", 10);
	feed_mix(&e);
	CHECK(e.records == 8 && e.held == 8 && e.unexpected == 3);
	CHECK(e.nsamples == 3);
	CHECK(e.nsamples == 3 && e.samples[0].line == line_no - 6 &&
	      e.samples[1].line == line_no - 5 && e.samples[2].line == line_no - 4);
	CHECK(dh_expect_percent(&e) == 37.5);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	EXPECT(&e, "exists(a)", 10);
	feed_mix(&e);
	CHECK(e.records == 8 && e.held == 8 && e.unexpected == 1);
	CHECK(e.nsamples == 1 && e.samples[0].line == line_no - 4);
	CHECK(dh_expect_percent(&e) == 12.5);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	EXPECT(&e, "exists(a) mostly=0.875", 10);
	feed_mix(&e);
	CHECK(dh_expect_ok(&e));
	dh_expect_release(&e);

	/* dotted paths into nested JSON */
	EXPECT(&e, "not_null(u.id)", 10);
	feed1(&e, "u", "{\"id\":7}", DH_V_OBJ);
	feed1(&e, "u", "{\"id\":null}", DH_V_OBJ);
	feed1(&e, "u", "{\"x\":1}", DH_V_OBJ);
	feed1(&e, "u", "{ \"id\" : \"\" }", DH_V_OBJ);
	CHECK(e.held == 4 && e.unexpected == 2);
	dh_expect_release(&e);

	EXPECT(&e, "exists(u.id)", 10);
	feed1(&e, "u", "{\"id\":7}", DH_V_OBJ);
	feed1(&e, "u", "{\"id\":null}", DH_V_OBJ);
	feed1(&e, "u", "{\"x\":1}", DH_V_OBJ);
	feed1(&e, "u", "null", DH_V_NULL);
	CHECK(e.held == 4 && e.unexpected == 2);
	dh_expect_release(&e);
}

static void
unique(void)
{
	struct dh_expect e;

	EXPECT(&e, "unique(a)", 10);
	feed1(&e, "a", "1", DH_V_STR);
	feed1(&e, "a", "2", DH_V_STR);
	feed1(&e, "a", "1", DH_V_STR); /* again */
	feed1(&e, "a", "", DH_V_STR);  /* nulls: not held, so never again */
	feed1(&e, "a", "", DH_V_STR);
	feed1(&e, "a", "null", DH_V_NULL);
	feed1(&e, "a", "null", DH_V_NULL);
	feed1(&e, "a", NULL, DH_V_STR); /* missing: not held */
	feed1(&e, "a", NULL, DH_V_STR);
	feed1(&e, "a", "1", DH_V_STR); /* again */
	CHECK(e.records == 10 && e.held == 4 && e.unexpected == 2);
	CHECK(e.nsamples == 2 && e.samples[0].line == line_no - 7 &&
	      e.samples[1].line == line_no);
	CHECK(dh_expect_percent(&e) == 50);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	/* values keep their kind: the string "1" is not the number 1 */
	EXPECT(&e, "unique(a)", 10);
	feed1(&e, "a", "\"1\"", DH_V_JSTR);
	feed1(&e, "a", "1", DH_V_NUM);
	CHECK(e.held == 2 && e.unexpected == 0);
	feed1(&e, "a", "1.0", DH_V_NUM); /* numbers as written */
	feed1(&e, "a", "true", DH_V_TRUE);
	feed1(&e, "a", "\"true\"", DH_V_JSTR);
	feed1(&e, "a", "[1]", DH_V_ARR);
	feed1(&e, "a", "{\"k\":[1]}", DH_V_OBJ);
	CHECK(e.held == 7 && e.unexpected == 0);
	feed1(&e, "a", "1", DH_V_STR);            /* the CSV text "1" is the string "1" */
	CHECK(e.unexpected == 1);
	feed1(&e, "a", "\"\\u0031\"", DH_V_JSTR); /* however it is escaped */
	CHECK(e.unexpected == 2);
	feed1(&e, "a", "{ \"k\" : [ 1 ] }", DH_V_OBJ); /* whitespace does not count */
	CHECK(e.unexpected == 3);
	feed1(&e, "a", "1", DH_V_NUM);
	CHECK(e.held == 11 && e.unexpected == 4);
	dh_expect_release(&e);

	/* compound */
	EXPECT(&e, "unique(a,b)", 10);
	feed2(&e, "a", "x", DH_V_STR, "b", "y", DH_V_STR);
	feed2(&e, "a", "x", DH_V_STR, "b", "z", DH_V_STR);
	feed2(&e, "a", "ab", DH_V_STR, "b", "c", DH_V_STR);
	feed2(&e, "a", "a", DH_V_STR, "b", "bc", DH_V_STR); /* no running together */
	feed2(&e, "a", "y", DH_V_STR, "b", "x", DH_V_STR);  /* nor swapping */
	CHECK(e.held == 5 && e.unexpected == 0);
	feed2(&e, "b", "y", DH_V_STR, "a", "x", DH_V_STR); /* field order does not count */
	CHECK(e.held == 6 && e.unexpected == 1);
	feed2(&e, "a", "x", DH_V_STR, "b", "", DH_V_STR);  /* a null: not held */
	feed2(&e, "a", "x", DH_V_STR, "b", "", DH_V_STR);
	feed2(&e, "a", "x", DH_V_STR, "b", "null", DH_V_NULL);
	feed2(&e, "a", "x", DH_V_STR, "b", NULL, DH_V_STR); /* one missing: not held */
	feed2(&e, "a", "x", DH_V_STR, "b", NULL, DH_V_STR);
	CHECK(e.records == 11 && e.held == 6 && e.unexpected == 1);
	feed2(&e, "a", "x", DH_V_STR, "b", "z", DH_V_STR);
	CHECK(e.held == 7 && e.unexpected == 2);
	dh_expect_release(&e);

	/* a nested field */
	EXPECT(&e, "unique(u.id)", 10);
	feed1(&e, "u", "{\"id\":1}", DH_V_OBJ);
	feed1(&e, "u", "{\"id\":\"1\"}", DH_V_OBJ);
	feed1(&e, "u", "{\"id\":null}", DH_V_OBJ);
	feed1(&e, "u", "{\"id\":null}", DH_V_OBJ);
	feed1(&e, "u", "{\"x\":1, \"id\":1}", DH_V_OBJ);
	CHECK(e.held == 3 && e.unexpected == 1);
	dh_expect_release(&e);
}

/* One record with a = val of type t held to text: 1 expected, 0
 * unexpected, -1 not held. */
static int
judge(const char *text, const char *val, enum dh_vtype t)
{
	struct dh_expect e;
	int r;

	if (!expect(&e, text, 1))
		return -2;
	feed1(&e, "a", val, t);
	r = e.held == 0 ? -1 : e.unexpected == 0 ? 1 : 0;
	if (e.records != 1 || e.held != (r != -1) || e.unexpected != (r == 0) ||
	    e.nsamples != (r == 0))
		r = -3; /* inconsistent totals */
	dh_expect_release(&e);
	return r;
}

static void
between(void)
{
	const char *b = "between(a,0,9223372036854775806)";

	/* int64 extremes compare exactly */
	CHECK(judge(b, "9223372036854775807", DH_V_NUM) == 0);
	CHECK(judge(b, "9223372036854775807", DH_V_STR) == 0);
	CHECK(judge(b, "9223372036854775806", DH_V_NUM) == 1);
	CHECK(judge(b, "0", DH_V_NUM) == 1);
	CHECK(judge(b, "-1", DH_V_NUM) == 0);
	CHECK(judge(b, "-0", DH_V_NUM) == 1);
	CHECK(judge("between(a,-9223372036854775808,)", "-9223372036854775808", DH_V_NUM) == 1);
	CHECK(judge("between(a,-9223372036854775807,)", "-9223372036854775808", DH_V_NUM) == 0);
	CHECK(judge("between(a,-9223372036854775807,)", "-9223372036854775807", DH_V_NUM) == 1);
	CHECK(judge("between(a,,9223372036854775807)", "9223372036854775807", DH_V_NUM) == 1);
	CHECK(judge("between(a,,9223372036854775807)", "99999999999999999999", DH_V_NUM) == 0);
	CHECK(judge("between(a,,9223372036854775807)", "9223372036854775808", DH_V_NUM) == 0);
	CHECK(judge("between(a,1,)", "99999999999999999999999", DH_V_NUM) == 1);
	/* floats, inclusive */
	b = "between(a,0.5,1.5)";
	CHECK(judge(b, "0.5", DH_V_NUM) == 1);
	CHECK(judge(b, "1.5", DH_V_NUM) == 1);
	CHECK(judge(b, "1", DH_V_NUM) == 1);
	CHECK(judge(b, "1e0", DH_V_STR) == 1);
	CHECK(judge(b, "1.2", DH_V_STR) == 1);
	CHECK(judge(b, "\"1.2\"", DH_V_JSTR) == 1); /* text of a number */
	CHECK(judge(b, "1.5000001", DH_V_NUM) == 0);
	CHECK(judge(b, "0.4999", DH_V_NUM) == 0);
	CHECK(judge(b, "2", DH_V_STR) == 0);
	CHECK(judge(b, "-0.5", DH_V_NUM) == 0);
	CHECK(judge("between(a,1,2)", "1.0000000001", DH_V_NUM) == 1);
	CHECK(judge("between(a,1,2)", "0.9999999999", DH_V_NUM) == 0);
	/* empty bounds */
	CHECK(judge("between(a,,10)", "-1e300", DH_V_NUM) == 1);
	CHECK(judge("between(a,,10)", "10", DH_V_NUM) == 1);
	CHECK(judge("between(a,,10)", "1e1", DH_V_NUM) == 1);
	CHECK(judge("between(a,,10)", "10.000001", DH_V_NUM) == 0);
	CHECK(judge("between(a,1,)", "0.999", DH_V_NUM) == 0);
	CHECK(judge("between(a,1,)", "1e300", DH_V_NUM) == 1);
	CHECK(judge("between(a,,)", "5", DH_V_STR) == 1);
	/* a value that is not a number */
	CHECK(judge("between(a,,)", "abc", DH_V_STR) == 0);
	CHECK(judge("between(a,,)", " 5", DH_V_STR) == 0);
	CHECK(judge("between(a,,)", "inf", DH_V_STR) == 0);
	CHECK(judge("between(a,,)", "\"x\"", DH_V_JSTR) == 0);
	CHECK(judge("between(a,,)", "true", DH_V_TRUE) == 0);
	CHECK(judge("between(a,,)", "{\"x\":1}", DH_V_OBJ) == 0);
	CHECK(judge("between(a,,)", "[1]", DH_V_ARR) == 0);
	/* nulls and missing: not held */
	CHECK(judge("between(a,0,1)", "", DH_V_STR) == -1);
	CHECK(judge("between(a,0,1)", "null", DH_V_NULL) == -1);
	CHECK(judge("between(a,0,1)", NULL, DH_V_STR) == -1);
}

static void
types(void)
{
	static const struct {
		const char *val;
		enum dh_vtype t;
		int string, number, boolean, object, array;
	} cases[] = {
		/* CSV text: a string, also a number or a bool when all of it is one */
		{"12", DH_V_STR, 1, 1, 0, 0, 0},
		{"-1.5e3", DH_V_STR, 1, 1, 0, 0, 0},
		{"true", DH_V_STR, 1, 0, 1, 0, 0},
		{"false", DH_V_STR, 1, 0, 1, 0, 0},
		{"True", DH_V_STR, 1, 0, 0, 0, 0},
		{"abc", DH_V_STR, 1, 0, 0, 0, 0},
		{"12 ", DH_V_STR, 1, 0, 0, 0, 0},
		{"{}", DH_V_STR, 1, 0, 0, 0, 0},
		{"[1]", DH_V_STR, 1, 0, 0, 0, 0},
		/* JSON: its own type only */
		{"\"12\"", DH_V_JSTR, 1, 0, 0, 0, 0},
		{"\"true\"", DH_V_JSTR, 1, 0, 0, 0, 0},
		{"\"\"", DH_V_JSTR, 1, 0, 0, 0, 0},
		{"12", DH_V_NUM, 0, 1, 0, 0, 0},
		{"1.5e3", DH_V_NUM, 0, 1, 0, 0, 0},
		{"true", DH_V_TRUE, 0, 0, 1, 0, 0},
		{"false", DH_V_FALSE, 0, 0, 1, 0, 0},
		{"{\"x\":1}", DH_V_OBJ, 0, 0, 0, 1, 0},
		{"{}", DH_V_OBJ, 0, 0, 0, 1, 0},
		{"[1,2]", DH_V_ARR, 0, 0, 0, 0, 1},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v = cases[i].val;
		enum dh_vtype t = cases[i].t;

		CHECK(judge("type(a,string)", v, t) == cases[i].string);
		CHECK(judge("type(a,number)", v, t) == cases[i].number);
		CHECK(judge("type(a,bool)", v, t) == cases[i].boolean);
		CHECK(judge("type(a,object)", v, t) == cases[i].object);
		CHECK(judge("type(a,array)", v, t) == cases[i].array);
	}
	/* nulls: not held */
	CHECK(judge("type(a,string)", "", DH_V_STR) == -1);
	CHECK(judge("type(a,string)", "null", DH_V_NULL) == -1);
	CHECK(judge("type(a,string)", NULL, DH_V_STR) == -1);
}

static void
in(void)
{
	const char *x = "in(a, x, 'New York', 1, true, '')";

	CHECK(judge(x, "x", DH_V_STR) == 1);
	CHECK(judge(x, "New York", DH_V_STR) == 1);
	CHECK(judge(x, "1", DH_V_STR) == 1);
	CHECK(judge(x, "1", DH_V_NUM) == 1);
	CHECK(judge(x, "true", DH_V_TRUE) == 1);
	CHECK(judge(x, "\"x\"", DH_V_JSTR) == 1);
	CHECK(judge(x, "\"\\u0078\"", DH_V_JSTR) == 1);
	CHECK(judge(x, "\"\"", DH_V_JSTR) == 1); /* an empty JSON string is '' */
	CHECK(judge(x, "X", DH_V_STR) == 0);
	CHECK(judge(x, "x ", DH_V_STR) == 0);
	CHECK(judge(x, "New", DH_V_STR) == 0);
	CHECK(judge(x, "New York City", DH_V_STR) == 0);
	CHECK(judge(x, "1.0", DH_V_NUM) == 0);
	CHECK(judge(x, "false", DH_V_FALSE) == 0);
	CHECK(judge(x, "\"y\"", DH_V_JSTR) == 0);
	CHECK(judge(x, "", DH_V_STR) == -1);
	CHECK(judge(x, "null", DH_V_NULL) == -1);
	CHECK(judge("in(a,'it''s')", "it's", DH_V_STR) == 1);
	CHECK(judge("in(a,'it''s')", "it''s", DH_V_STR) == 0);
}

static void
match(void)
{
	struct dh_expect e;
	struct dh_record r = DH_RECORD_INIT;
	const char *m = "match(a,'^[0-9]+$')";

	CHECK(judge(m, "123", DH_V_STR) == 1);
	CHECK(judge(m, "12a", DH_V_STR) == 0);
	CHECK(judge(m, "42", DH_V_NUM) == 1);
	CHECK(judge(m, "\"42\"", DH_V_JSTR) == 1);
	CHECK(judge(m, "\"4\\u0032\"", DH_V_JSTR) == 1);
	CHECK(judge(m, "", DH_V_STR) == -1);
	CHECK(judge(m, "\"1\\u00002\"", DH_V_JSTR) == 0); /* a NUL, escaped */
	CHECK(judge("match(a,b)", "abc", DH_V_STR) == 1); /* searched, not anchored */
	CHECK(judge("match(a,'x|y')", "zzy", DH_V_STR) == 1);
	CHECK(judge("match(a,'x|y')", "zzz", DH_V_STR) == 0);
	CHECK(judge("match(a,'\"k\":\"x\"')", "{ \"k\" : \"x\" }", DH_V_OBJ) == 1); /* compact */

	/* a NUL byte in the value: unexpected, whatever follows it */
	if (expect(&e, "match(a,'a')", 4)) {
		dh_record_add(&r, "a", 1, "a\0b", 3, DH_V_STR);
		dh_expect_feed(&e, &r, "f");
		dh_record_reset(&r);
		dh_record_add(&r, "a", 1, "\0a", 2, DH_V_STR);
		dh_expect_feed(&e, &r, "f");
		dh_record_reset(&r);
		dh_record_add(&r, "a", 1, "ba", 2, DH_V_STR);
		dh_expect_feed(&e, &r, "f");
		CHECK(e.held == 3 && e.unexpected == 2);
		dh_expect_release(&e);
	} else {
		CHECK(0);
	}
	if (expect(&e, m, 4)) {
		dh_record_reset(&r);
		dh_record_add(&r, "a", 1, "12\0", 3, DH_V_STR);
		dh_expect_feed(&e, &r, "f");
		CHECK(e.held == 1 && e.unexpected == 1);
		dh_expect_release(&e);
	} else {
		CHECK(0);
	}
	dh_record_release(&r);
}

static void
rows(void)
{
	struct dh_expect e;
	int i;

	EXPECT(&e, "rows(2,3)", 10);
	CHECK(!dh_expect_ok(&e)); /* 0 */
	feed1(&e, "a", "x", DH_V_STR);
	CHECK(!dh_expect_ok(&e)); /* 1 */
	feed1(&e, "a", NULL, DH_V_STR);
	CHECK(dh_expect_ok(&e)); /* 2 */
	feed1(&e, "a", "null", DH_V_NULL);
	CHECK(dh_expect_ok(&e)); /* 3 */
	feed1(&e, "a", "x", DH_V_STR);
	CHECK(!dh_expect_ok(&e)); /* 4 */
	CHECK(e.records == 4 && e.held == 0 && e.unexpected == 0 && e.nsamples == 0);
	CHECK(dh_expect_percent(&e) == 0);
	dh_expect_reset(&e, 10);
	CHECK(e.records == 0 && !dh_expect_ok(&e));
	dh_expect_release(&e);

	EXPECT(&e, "rows(,2)", 10);
	CHECK(dh_expect_ok(&e));
	feed1(&e, "a", "x", DH_V_STR);
	feed1(&e, "a", "x", DH_V_STR);
	CHECK(dh_expect_ok(&e));
	feed1(&e, "a", "x", DH_V_STR);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	EXPECT(&e, "rows(0,0)", 10);
	CHECK(dh_expect_ok(&e));
	feed1(&e, "a", "x", DH_V_STR);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	EXPECT(&e, "rows(1000,)", 10);
	for (i = 0; i < 999; i++)
		feed1(&e, "a", "x", DH_V_STR);
	CHECK(!dh_expect_ok(&e));
	feed1(&e, "a", "x", DH_V_STR);
	CHECK(dh_expect_ok(&e));
	dh_expect_release(&e);

	EXPECT(&e, "rows(,)", 10);
	CHECK(dh_expect_ok(&e));
	dh_expect_release(&e);
}

static void
mostly(void)
{
	struct dh_expect e;
	int i;

	/* 99 of 100 at 0.99: passes; 98 does not */
	EXPECT(&e, "not_null(a) mostly=0.99", 10);
	for (i = 0; i < 100; i++)
		feed1(&e, "a", i == 50 ? "" : "v", DH_V_STR);
	CHECK(e.held == 100 && e.unexpected == 1);
	CHECK(dh_expect_percent(&e) == 1);
	CHECK(dh_expect_ok(&e));
	dh_expect_reset(&e, 10);
	for (i = 0; i < 100; i++)
		feed1(&e, "a", i == 50 || i == 99 ? "" : "v", DH_V_STR);
	CHECK(e.held == 100 && e.unexpected == 2);
	CHECK(dh_expect_percent(&e) == 2);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	/* the same share on another scale */
	EXPECT(&e, "in(a,v) mostly=0.7", 10);
	for (i = 0; i < 1000; i++)
		feed1(&e, "a", i % 10 < 7 ? "v" : "w", DH_V_STR);
	CHECK(e.held == 1000 && e.unexpected == 300);
	CHECK(dh_expect_ok(&e));
	feed1(&e, "a", "w", DH_V_STR);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	/* the default is all of them */
	EXPECT(&e, "in(a,v)", 10);
	for (i = 0; i < 1000; i++)
		feed1(&e, "a", "v", DH_V_STR);
	CHECK(dh_expect_ok(&e));
	feed1(&e, "a", "w", DH_V_STR);
	CHECK(!dh_expect_ok(&e));
	dh_expect_release(&e);

	/* mostly=0: anything passes */
	EXPECT(&e, "in(a,v) mostly=0", 10);
	feed1(&e, "a", "w", DH_V_STR);
	CHECK(e.unexpected == 1 && dh_expect_percent(&e) == 100 && dh_expect_ok(&e));
	dh_expect_release(&e);

	/* none held: passes, 0% */
	EXPECT(&e, "between(a,0,1)", 10);
	CHECK(dh_expect_ok(&e) && dh_expect_percent(&e) == 0);
	feed1(&e, "a", NULL, DH_V_STR);
	feed1(&e, "a", "", DH_V_STR);
	feed1(&e, "a", "null", DH_V_NULL);
	CHECK(e.records == 3 && e.held == 0);
	CHECK(dh_expect_ok(&e) && dh_expect_percent(&e) == 0);
	dh_expect_release(&e);

	EXPECT(&e, "not_null(a)", 10);
	CHECK(dh_expect_ok(&e) && dh_expect_percent(&e) == 0);
	dh_expect_release(&e);
}

/* Feed a of value val with raw bytes raw at line. */
static void
feed_raw(struct dh_expect *e, const char *val, const char *raw, unsigned long long line,
	 const char *file)
{
	struct dh_record r = DH_RECORD_INIT;

	dh_record_add(&r, "a", 1, val, strlen(val), DH_V_STR);
	r.raw = raw;
	r.rawlen = strlen(raw);
	r.line = line;
	dh_expect_feed(e, &r, file);
	dh_record_release(&r);
}

static void
reset_and_samples(void)
{
	struct dh_expect e;
	char file[16];
	int i;

	EXPECT(&e, "unique(a)", 2);
	strcpy(file, "part-0.csv");
	for (i = 1; i <= 5; i++)
		feed_raw(&e, "x", "x,1\n", (unsigned long long)i + 1, file);
	strcpy(file, "changed"); /* the sample keeps its own copy */
	CHECK(e.records == 5 && e.held == 5 && e.unexpected == 4);
	CHECK(e.nsamples == 2);
	if (e.nsamples == 2) {
		CHECK(e.samples[0].line == 3 && e.samples[1].line == 4);
		CHECK_MEM(e.samples[0].record, e.samples[0].len, "x,1");
		CHECK(strcmp(e.samples[0].file, "part-0.csv") == 0);
		CHECK(strcmp(e.samples[1].file, "part-0.csv") == 0);
	}
	feed_raw(&e, "y", "y,2\r\n", 7, "g");
	CHECK(e.unexpected == 4 && e.nsamples == 2);

	/* start over: totals, samples and the set of keys */
	dh_expect_reset(&e, 3);
	CHECK(e.records == 0 && e.held == 0 && e.unexpected == 0 && e.nsamples == 0);
	CHECK(e.max_samples == 3);
	CHECK(dh_expect_ok(&e) && dh_expect_percent(&e) == 0);
	feed_raw(&e, "x", "x,1\n", 1, "h");
	feed_raw(&e, "y", "y,2\n", 2, "h");
	CHECK(e.held == 2 && e.unexpected == 0);
	/* record bytes as read, without the trailing newline (CR LF too) */
	feed_raw(&e, "y", "y,2\r\n", 3, "h");
	feed_raw(&e, "x", "\"x\ny\",3\n", 4, "h"); /* a newline inside: kept */
	feed_raw(&e, "x", "x,9", 5, "h");          /* no newline */
	feed_raw(&e, "x", "x,10\n", 6, "h");       /* past the cap */
	CHECK(e.held == 6 && e.unexpected == 4);
	CHECK(e.nsamples == 3);
	if (e.nsamples == 3) {
		CHECK_MEM(e.samples[0].record, e.samples[0].len, "y,2");
		CHECK_MEM(e.samples[1].record, e.samples[1].len, "\"x\ny\",3");
		CHECK_MEM(e.samples[2].record, e.samples[2].len, "x,9");
		CHECK(e.samples[0].line == 3 && e.samples[1].line == 4 && e.samples[2].line == 5);
		CHECK(strcmp(e.samples[2].file, "h") == 0);
	}
	CHECK(!dh_expect_ok(&e));

	/* no samples at all */
	dh_expect_reset(&e, 0);
	feed_raw(&e, "x", "x\n", 1, "h");
	feed_raw(&e, "x", "x\n", 2, "h");
	CHECK(e.unexpected == 1 && e.nsamples == 0);
	dh_expect_release(&e);

	/* reset keeps the expectation itself */
	EXPECT(&e, "between(a,0,1) mostly=0.5", 1);
	feed_raw(&e, "5", "5\n", 1, "h");
	dh_expect_reset(&e, 1);
	CHECK(e.mostly == 0.5 && e.has_lo && e.has_hi && strcmp(e.text, "between(a,0,1) mostly=0.5") == 0);
	feed_raw(&e, "5", "5\n", 1, "h");
	feed_raw(&e, "0.5", "0.5\n", 2, "h");
	CHECK(e.held == 2 && e.unexpected == 1 && dh_expect_ok(&e));
	dh_expect_release(&e);
}

/* ---- profile ---------------------------------------------------------- */

struct fv {
	const char *name, *val; /* val NULL: not in the record */
	enum dh_vtype t;
};

static void
pfeed(struct dh_profile *p, const struct fv *f, size_t n)
{
	struct dh_record r = DH_RECORD_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].val != NULL)
			dh_record_add(&r, f[i].name, strlen(f[i].name), f[i].val, strlen(f[i].val),
				      f[i].t);
	dh_profile_feed(p, &r);
	dh_record_release(&r);
}

/* The index of field name in p, or p->n. */
static size_t
pfield(const struct dh_profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->f[i].nlen == strlen(name) && memcmp(p->f[i].name, name, p->f[i].nlen) == 0)
			break;
	return i;
}

static struct dh_buf pout;

static const char *
ptype(const struct dh_profile *p, const char *name)
{
	size_t i = pfield(p, name);

	dh_buf_reset(&pout);
	if (i < p->n)
		dh_profile_type(&p->f[i], &pout);
	else
		dh_buf_adds(&pout, "(no field)");
	return pout.data;
}

static const char *
pjson(const struct dh_profile *p, const char *name)
{
	size_t i = pfield(p, name);

	dh_buf_reset(&pout);
	if (i < p->n)
		dh_profile_json(p, i, &pout);
	else
		dh_buf_adds(&pout, "(no field)");
	return pout.data;
}

static int
valid_json(const char *s)
{
	struct dh_json_err je;

	return dh_json_validate(s, strlen(s), &je) == 0;
}

static void
profile_mixed(void)
{
	struct dh_profile p;
	const char *t;
	static const struct fv r1[] = {
		{"a", "1", DH_V_STR}, {"b", "1", DH_V_NUM}, {"c", "abc", DH_V_STR},
		{"d", "null", DH_V_NULL}, {"f", "true", DH_V_TRUE},
	};
	static const struct fv r2[] = {
		{"a", "3", DH_V_STR}, {"b", "2.5", DH_V_NUM}, {"c", "7", DH_V_STR},
		{"d", "", DH_V_STR}, {"f", "{\"x\":1}", DH_V_OBJ},
	};
	static const struct fv r3[] = {
		{"e", "z", DH_V_STR}, {"a", "", DH_V_STR}, {"b", "-3", DH_V_NUM},
		{"c", "\"q\"", DH_V_JSTR}, {"d", "null", DH_V_NULL},
	};
	static const struct fv r4[] = {
		{"a", "2", DH_V_STR}, {"b", "1", DH_V_NUM}, {"c", "8", DH_V_NUM},
		{"d", NULL, DH_V_STR}, {"f", "false", DH_V_FALSE},
	};

	dh_profile_init(&p);
	pfeed(&p, r1, 5);
	pfeed(&p, r2, 5);
	pfeed(&p, r3, 5);
	pfeed(&p, r4, 5);
	CHECK(p.records == 4);
	/* fields in the order first seen */
	CHECK(p.n == 6);
	CHECK(pfield(&p, "a") == 0 && pfield(&p, "b") == 1 && pfield(&p, "c") == 2 &&
	      pfield(&p, "d") == 3 && pfield(&p, "f") == 4 && pfield(&p, "e") == 5);

	CHECK(strcmp(ptype(&p, "a"), "integer") == 0);
	CHECK(strcmp(ptype(&p, "b"), "number") == 0);
	t = ptype(&p, "c"); /* strings and integers */
	CHECK(strcmp(t, "string,integer") == 0 || strcmp(t, "integer,string") == 0);
	CHECK(strcmp(ptype(&p, "d"), "null") == 0);
	CHECK(strcmp(ptype(&p, "e"), "string") == 0);
	t = ptype(&p, "f");
	CHECK(strcmp(t, "bool,object") == 0 || strcmp(t, "object,bool") == 0);

	/* nulls: null, empty and missing */
	CHECK(dh_profile_nulls(&p, pfield(&p, "a")) == 1);
	CHECK(dh_profile_nulls(&p, pfield(&p, "b")) == 0);
	CHECK(dh_profile_nulls(&p, pfield(&p, "c")) == 0);
	CHECK(dh_profile_nulls(&p, pfield(&p, "d")) == 4);
	CHECK(dh_profile_nulls(&p, pfield(&p, "e")) == 3); /* first seen in the 3rd */
	CHECK(dh_profile_nulls(&p, pfield(&p, "f")) == 1);
	CHECK(p.f[pfield(&p, "c")].kinds[DH_K_STRING] == 2 &&
	      p.f[pfield(&p, "c")].kinds[DH_K_INTEGER] == 2);

	CHECK(strcmp(pjson(&p, "a"),
		     "{\"field\":\"a\",\"type\":\"integer\",\"records\":4,\"nulls\":1,"
		     "\"null_rate\":0.25,\"distinct\":3,\"kinds\":{\"integer\":3},\"min\":1,"
		     "\"max\":3,\"samples\":[\"1\",\"3\",\"2\"]}") == 0);
	CHECK(strcmp(pjson(&p, "b"),
		     "{\"field\":\"b\",\"type\":\"number\",\"records\":4,\"nulls\":0,"
		     "\"null_rate\":0,\"distinct\":3,\"kinds\":{\"integer\":3,\"number\":1},"
		     "\"min\":-3,\"max\":2.5,\"samples\":[1,2.5,-3]}") == 0);
	CHECK(strcmp(pjson(&p, "d"),
		     "{\"field\":\"d\",\"type\":\"null\",\"records\":4,\"nulls\":4,"
		     "\"null_rate\":1,\"distinct\":0,\"kinds\":{},\"min\":null,\"max\":null,"
		     "\"samples\":[]}") == 0);
	CHECK(strcmp(pjson(&p, "e"),
		     "{\"field\":\"e\",\"type\":\"string\",\"records\":4,\"nulls\":3,"
		     "\"null_rate\":0.75,\"distinct\":1,\"kinds\":{\"string\":1},\"min\":\"z\","
		     "\"max\":\"z\",\"samples\":[\"z\"]}") == 0);
	/* c: not all numbers, so min and max are texts in byte order */
	t = pjson(&p, "c");
	CHECK(strstr(t, ",\"min\":\"7\",\"max\":\"q\",") != NULL);
	CHECK(strstr(t, ",\"samples\":[\"abc\",\"7\",\"q\"]}") != NULL);
	CHECK(strstr(t, "\"kinds\":{\"integer\":2,\"string\":2}") != NULL);
	CHECK(valid_json(t));
	t = pjson(&p, "f");
	CHECK(strstr(t, ",\"min\":\"false\",\"max\":\"{\\\"x\\\":1}\",") != NULL);
	CHECK(strstr(t, ",\"samples\":[true,{\"x\":1},false]}") != NULL);
	CHECK(valid_json(t));
	dh_profile_release(&p);
}

static void
profile_types(void)
{
	struct dh_profile p;
	static const struct fv v[] = {
		{"i", "1", DH_V_STR},   {"i", "-20", DH_V_NUM}, /* integers only */
		{"n", "1", DH_V_STR},   {"n", "1.5", DH_V_STR}, /* integers and floats */
		{"s", "x", DH_V_STR},   {"s", "3", DH_V_STR},   /* strings and integers */
		{"x", "x", DH_V_STR},   {"x", "3.5", DH_V_NUM}, /* strings and floats */
		{"z", "", DH_V_STR},    {"z", "null", DH_V_NULL}, /* never a value */
		{"b", "true", DH_V_STR}, {"b", "false", DH_V_FALSE},
		{"o", "{}", DH_V_OBJ},  {"o", "[]", DH_V_ARR},
		{"g", "1e400", DH_V_NUM}, {"g", "99999999999999999999", DH_V_STR},
	};
	size_t i;
	const char *t;

	dh_profile_init(&p);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		pfeed(&p, &v[i], 1);
	CHECK(strcmp(ptype(&p, "i"), "integer") == 0);
	CHECK(strcmp(ptype(&p, "n"), "number") == 0);
	t = ptype(&p, "s");
	CHECK(strcmp(t, "string,integer") == 0 || strcmp(t, "integer,string") == 0);
	t = ptype(&p, "x");
	CHECK(strcmp(t, "string,number") == 0 || strcmp(t, "number,string") == 0);
	CHECK(strcmp(ptype(&p, "x"), "number,string") == 0);
	CHECK(strcmp(ptype(&p, "z"), "null") == 0);
	CHECK(strcmp(ptype(&p, "b"), "bool") == 0);
	t = ptype(&p, "o");
	CHECK(strcmp(t, "object,array") == 0 || strcmp(t, "array,object") == 0);
	/* beyond int64: a number, not an integer (DH_NUM_BIG) */
	CHECK(p.f[pfield(&p, "g")].kinds[DH_K_INTEGER] + p.f[pfield(&p, "g")].kinds[DH_K_NUMBER] == 2);
	dh_profile_release(&p);
}

static void
profile_minmax_samples(void)
{
	struct dh_profile p;
	static const struct fv v[] = {
		{"n", "9", DH_V_STR},  {"n", "10", DH_V_STR}, {"n", "100", DH_V_STR},
		{"n", "-0.5", DH_V_STR},
		{"m", "9", DH_V_STR},  {"m", "10", DH_V_STR}, {"m", "x", DH_V_STR},
		{"s", "a", DH_V_STR},  {"s", "a", DH_V_STR},  {"s", "b", DH_V_STR},
		{"s", "a", DH_V_STR},  {"s", "c", DH_V_STR},  {"s", "d", DH_V_STR},
		{"j", "\"a\"", DH_V_JSTR}, {"j", "a", DH_V_STR}, {"j", "\"b\"", DH_V_JSTR},
		{"q", "\"a\"", DH_V_JSTR}, {"q", "\"\\u0061\"", DH_V_JSTR},
	};
	size_t i;
	const char *t;

	dh_profile_init(&p);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		pfeed(&p, &v[i], 1);
	/* all numbers: compared as numbers, printed as written */
	t = pjson(&p, "n");
	CHECK(strstr(t, ",\"min\":-0.5,\"max\":100,") != NULL);
	CHECK(valid_json(t));
	/* not all numbers: byte order */
	t = pjson(&p, "m");
	CHECK(strstr(t, ",\"min\":\"10\",\"max\":\"x\",") != NULL);
	i = pfield(&p, "m");
	CHECK(i < p.n && p.f[i].minlen == 2 && memcmp(p.f[i].min, "10", 2) == 0);
	/* samples: the first 3 distinct values */
	t = pjson(&p, "s");
	CHECK(strstr(t, ",\"samples\":[\"a\",\"b\",\"c\"]}") != NULL);
	CHECK(strstr(t, "\"distinct\":4,") != NULL);
	/* a CSV text and the JSON string of it are one value */
	t = pjson(&p, "j");
	CHECK(strstr(t, ",\"samples\":[\"a\",\"b\"]}") != NULL);
	CHECK(strstr(t, "\"distinct\":2,") != NULL);
	/* the same JSON string escaped another way: one value to the count... */
	t = pjson(&p, "q");
	CHECK(strstr(t, "\"distinct\":1,") != NULL);
	CHECK(strstr(t, ",\"samples\":[\"a\"]}") != NULL);
	dh_profile_release(&p);

	dh_profile_init(&p);
	{
		static const struct fv w[] = {
			{"w", "+5", DH_V_STR}, {"w", ".5", DH_V_STR}, {"w", "01", DH_V_STR},
		};

		for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
			pfeed(&p, &w[i], 1);
		CHECK(valid_json(pjson(&p, "w")));
	}
	dh_profile_release(&p);
}

static void
profile_distinct(void)
{
	struct dh_profile p;
	struct dh_record r = DH_RECORD_INIT;
	char v[32];
	const char *t, *d;
	double est;
	int i, pass;

	dh_profile_init(&p);
	for (pass = 0; pass < 2; pass++) { /* each value twice */
		for (i = 0; i < 10000; i++) {
			int n = snprintf(v, sizeof(v), "value-%d", i);

			dh_record_reset(&r);
			dh_record_add(&r, "k", 1, v, (size_t)n, DH_V_STR);
			dh_profile_feed(&p, &r);
		}
		t = pjson(&p, "k");
		d = strstr(t, "\"distinct\":");
		CHECK(d != NULL);
		est = d ? strtod(d + 11, NULL) : 0;
		CHECK(fabs(est - 10000) <= 200);
		CHECK(est == floor(est));
	}
	CHECK(p.records == 20000 && p.f[0].values == 20000);
	dh_record_release(&r);
	dh_profile_release(&p);
}

/* ---- robust z --------------------------------------------------------- */

static void
robust_z(void)
{
	double m = -1, z;
	static const double h1[] = {1, 2, 3, 4, 100};
	static const double h1s[] = {100, 3, 1, 4, 2};
	static const double mad0[] = {5, 5, 5, 8, 20};
	static const double flat[] = {100, 100, 100, 100};
	static const double neg[] = {-100, -100, -100};
	static const double zeros[] = {0, 0, 0, 0, 0};
	static const double even[] = {4, 1, 3, 2};

	/* median 3, MAD median{2,1,0,1,97} = 1: (10 - 3) / (1 / 0.6745) */
	z = dh_robust_z(h1, 5, 10, &m);
	CHECK(m == 3);
	CHECK(fabs(z - 7 * 0.6745) < 1e-9);
	CHECK(fabs(dh_robust_z(h1, 5, 3, &m) - 0) < 1e-9);
	CHECK(fabs(dh_robust_z(h1, 5, 1, &m) - -2 * 0.6745) < 1e-9);
	/* the order of the history does not count */
	m = -1;
	CHECK(fabs(dh_robust_z(h1s, 5, 10, &m) - z) < 1e-12 && m == 3);
	CHECK(h1s[0] == 100 && h1s[4] == 2); /* const: not sorted in place */
	/* MAD 0: 1.2533 times the mean absolute deviation, (0+0+0+3+15)/5 */
	z = dh_robust_z(mad0, 5, 10, &m);
	CHECK(m == 5);
	CHECK(fabs(z - 5 / (3.6 * 1.2533)) < 1e-9);
	/* a flat history: 1% of the median */
	z = dh_robust_z(flat, 4, 103, &m);
	CHECK(m == 100 && fabs(z - 3) < 1e-9);
	CHECK(fabs(dh_robust_z(flat, 4, 97, &m) - -3) < 1e-9);
	CHECK(fabs(dh_robust_z(neg, 3, -97, &m) - 3) < 1e-9 && m == -100);
	/* the floor also holds the MAD's estimate up: median 1000, MAD 1 */
	{
		static const double h[] = {999, 1000, 1001, 1000, 5000};

		CHECK(fabs(dh_robust_z(h, 5, 1020, &m) - 2) < 1e-9 && m == 1000);
	}
	/* zeros: no spread at all */
	CHECK(dh_robust_z(zeros, 5, 0, &m) == 0 && m == 0);
	CHECK(dh_robust_z(zeros, 5, 0.5, &m) == HUGE_VAL);
	CHECK(dh_robust_z(zeros, 5, -0.5, &m) == -HUGE_VAL);
	/* an even count: the mean of the middle two */
	z = dh_robust_z(even, 4, 2.5, &m);
	CHECK(m == 2.5 && z == 0);
	/* median 2.5, deviations {1.5,0.5,0.5,1.5}: MAD 1 */
	CHECK(fabs(dh_robust_z(even, 4, 4.5, &m) - 2 * 0.6745) < 1e-9);
	/* one value of history */
	{
		static const double one[] = {50};

		CHECK(fabs(dh_robust_z(one, 1, 51, &m) - 2) < 1e-9 && m == 50);
	}
}

/* ---- the fuzz corpus (tests/fuzz/corpus-expect, make fuzz) ------------- */

/* Each input as fuzz_expect takes it: an expectation, a newline, a JSON
 * line.  What parses has a normalised text that parses to itself. */
static void
corpus(void)
{
	DIR *d = opendir("tests/fuzz/corpus-expect");
	struct dirent *de;
	int files = 0;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[4096], *text, *nl;
		FILE *f;
		long n;
		struct dh_expect e, again;
		struct dh_buf err = DH_BUF_INIT;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "tests/fuzz/corpus-expect/%s", de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		text = malloc((size_t)n + 1);
		n = (long)fread(text, 1, (size_t)n, f);
		fclose(f);
		text[n] = '\0';
		if ((nl = strchr(text, '\n')) != NULL)
			*nl = '\0';
		files++;
		if (dh_expect_parse(&e, text, &err) == 0) {
			dh_buf_reset(&err);
			if (dh_expect_parse(&again, e.text, &err) != 0) {
				unit_fail++;
				fprintf(stderr, "corpus %s: %s does not parse: %s\n", de->d_name, e.text,
					err.data);
			} else {
				CHECK(strcmp(again.text, e.text) == 0);
				dh_expect_release(&again);
			}
			dh_expect_release(&e);
		} else {
			CHECK(err.len > 0);
		}
		dh_buf_release(&err);
		free(text);
	}
	closedir(d);
	CHECK(files > 0);
}

int
main(void)
{
	parse_normalised();
	parse_fields();
	parse_errors();
	nulls_and_missing();
	unique();
	between();
	types();
	in();
	match();
	rows();
	mostly();
	reset_and_samples();
	profile_mixed();
	profile_types();
	profile_minmax_samples();
	profile_distinct();
	robust_z();
	corpus();
	dh_buf_release(&got);
	dh_buf_release(&pout);
	return unit_done("test_expect");
}

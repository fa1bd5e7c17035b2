# dh: data hub tools for the shell.  One GNU make file; settings in config.mk.
include config.mk

BUILD = build
DEVELOPER =
SANITIZE =

WARN = -Wall -Wextra -Wmissing-prototypes -Wvla -Wwrite-strings -fno-common
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
ifneq ($(SANITIZE),)
SAN = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
DH_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) -g -pthread $(WARN) $(SAN) \
	-DDH_VERSION='"$(VERSION)"' -Icommon $(CFLAGS)
DH_LDFLAGS = -pthread $(SAN) $(LDFLAGS)
LIBS = -larchive -lcsv -ljansson -lxxhash -lm

COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:common/%.c=$(BUILD)/obj/%.o)
CMDS = $(patsubst cmd/%.c,%,$(wildcard cmd/dh-*.c))
BINS = $(CMDS:%=$(BUILD)/bin/%)
UNIT = $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
TOOLS = $(patsubst scripts/%.c,$(BUILD)/tools/%,$(wildcard scripts/*.c))
LIB = $(BUILD)/libdh.a
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)

all: $(BINS) $(LIB) $(TOOLS)

# Build and test dependencies come from Debian packages (scripts/deps).
$(BUILD)/deps.ok: scripts/deps
	@mkdir -p $(BUILD)
	@sh scripts/deps --check 2>/dev/null || sh scripts/deps
	@touch $@

# Rebuild everything when the compiler flags change (SANITIZE=, DEVELOPER=).
$(BUILD)/flags: FORCE | $(BUILD)/deps.ok
	@echo '$(CC) $(DH_CFLAGS) $(DH_LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(DH_CFLAGS) $(DH_LDFLAGS)' > $@

$(BUILD)/obj/%.o: common/%.c common/*.h $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(DH_CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $(COMMON_OBJ)

$(BUILD)/bin/%: cmd/%.c $(LIB) common/*.h $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(DH_CFLAGS) -o $@ $< $(LIB) $(DH_LDFLAGS) $(LIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB) common/*.h $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(DH_CFLAGS) -Itests/unit -o $@ $< $(LIB) $(DH_LDFLAGS) $(LIBS)

$(BUILD)/tools/%: scripts/%.c $(LIB) common/*.h $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(DH_CFLAGS) -o $@ $< $(LIB) $(DH_LDFLAGS) $(LIBS)

# Every fuzz target's corpus, replayed with the normal flags (SANITIZE=
# applies) by tests/fuzz/replay.c; jsonl and expect are in unit tests.
FUZZ_REPLAY = $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz-replay/%,$(filter-out \
	tests/fuzz/fuzz_jsonl.c tests/fuzz/fuzz_expect.c,$(wildcard tests/fuzz/fuzz_*.c)))

$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB) common/*.h $(BUILD)/flags
	@mkdir -p $(@D)
	$(CC) $(DH_CFLAGS) -DFUZZ_NAME='"$*"' -o $@ $< tests/fuzz/replay.c $(LIB) \
		$(DH_LDFLAGS) $(LIBS)

check: all $(UNIT) $(FUZZ_REPLAY)
	@BUILD=$(BUILD) sh tests/run $(UNIT) $(FUZZ_REPLAY)

# Completions are derived from each command's option table.
completions: $(BINS)
	@for c in $(CMDS); do \
		sh scripts/gen-completions bash $(BUILD)/bin/$$c > completions/bash/$$c && \
		sh scripts/gen-completions zsh $(BUILD)/bin/$$c > completions/zsh/_$$c || exit 1; \
	done

# libFuzzer targets; FUZZ_SECONDS each.  Not part of check (check replays the corpus).
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Icommon \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DDH_VERSION='"$(VERSION)"'
fuzz: $(BUILD)/deps.ok
	@mkdir -p $(BUILD)/fuzz
	@for t in $(FUZZ_TARGETS); do \
		$(FUZZCC) $(FUZZ_FLAGS) -o $(BUILD)/fuzz/$$t tests/fuzz/fuzz_$$t.c $(COMMON_SRC) $(LIBS) || exit 1; \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(BUILD)/fuzz/corpus-$$t tests/fuzz/corpus-$$t || exit 1; \
	done

# Unit tests and bats suites with every command under valgrind (long:
# VALGRIND_TESTS='tests/dh-convert.bats ...' for a part).
check-valgrind: all $(UNIT)
	@BUILD=$(BUILD) sh tests/valgrind $(UNIT)

bench: all
	sh scripts/bench

# The example hub, from nothing: examples/clickstream/README.md.
demo:
	@echo '== Building dh'
	@$(MAKE) -s --no-print-directory $(BINS) $(BUILD)/tools/gen
	@$(MAKE) -s --no-print-directory -C examples/clickstream demo \
		DH_BIN=$(abspath $(BUILD)/bin) GEN=$(abspath $(BUILD)/tools/gen)
.PHONY: demo

# SIGKILL at 500 random moments; make check runs 50.
crash-test: all
	DH_BUILD=$(abspath $(BUILD)) bash scripts/crash-test 500

# Every system call of the publishing commands failing in turn (strace);
# make check runs a sample (tests/faults.bats).
fault-test: all
	DH_BUILD=$(abspath $(BUILD)) bash scripts/fault-test --full

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	# install -m: modes as they must be, whatever the umask or the tree's
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	install -m 644 $(CMDS:%=completions/bash/%) $(DESTDIR)$(BASHCOMPDIR)/
	install -m 644 $(CMDS:%=completions/zsh/_%) $(DESTDIR)$(ZSHCOMPDIR)/

uninstall:
	rm -f $(CMDS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) \
		$(MAN7:man/%=$(DESTDIR)$(MANDIR)/man7/%)
	rm -f $(CMDS:%=$(DESTDIR)$(BASHCOMPDIR)/%) $(CMDS:%=$(DESTDIR)$(ZSHCOMPDIR)/_%)

clean:
	rm -rf $(BUILD)

FORCE:
.PHONY: all check check-valgrind completions fuzz bench crash-test fault-test install uninstall clean FORCE
.SECONDARY:

# hsync -- one non-recursive GNU make file.
#
#   make            build everything into $(BUILD) (installs Debian packages first if missing)
#   make check      unit tests (ASan+UBSan), fuzz seeds, man page lint, integration tests
#   make lab        build, then run the lab (contrib/lab/lab.sh)
#   make deps       install with apt-get every Debian package needed to build and test
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each
#   make install    install programs and man pages under PREFIX
#
# Sources are found by wildcard, so a new module is a new file and no edit here:
#   libhsync/*.c common/*.c       -> libraries
#   DAEMON/*.c (DAEMON/main.c)    -> one program per daemon directory
#   tools/NAME.c                  -> one program per file
#   test/unit/test_*.c            -> one Check program per module, sanitized
#   test/fuzz/fuzz_*.c            -> one libFuzzer target per file, seeds in test/fuzz/corpus/NAME/
#   test/integration/t-*.sh       -> integration tests, run by test/integration/run.sh

BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= cc
FUZZCC   ?= clang
CFLAGS   ?= -O2 -g
FUZZ_SECONDS ?= 30

PKGS     := libknot libdnssec libzscanner libuv libsodium jansson gnutls
DEB_PKGS := make gcc pkgconf libknot-dev libgnutls28-dev libuv1-dev libsodium-dev libjansson-dev check \
            clang libclang-rt-14-dev mandoc knot knot-dnsutils bind9 bind9-utils \
            bind9-dnsutils nsd unbound ldnsutils procps iproute2 perl python3

# pkg-config runs once, when first needed (after 'deps' has installed the .pc files).
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
CHECK_LIBS = $(eval CHECK_LIBS := $(shell pkg-config --libs check))$(CHECK_LIBS)

WARN      := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
ALL_CFLAGS = -std=gnu11 $(WARN) -I. -D_GNU_SOURCE $(PKG_CFLAGS) $(CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g

DAEMONS  := $(patsubst %/main.c,%,$(wildcard combinerd/main.c hsyncd/main.c agentd/main.c))
# A daemon directory with modules but no main.c yet still gives a library for unit tests.
DLIBS    := $(foreach d,combinerd hsyncd agentd,$(if $(filter-out $(d)/main.c,$(wildcard $(d)/*.c)),$(d)))
LIB_SRC  := $(wildcard libhsync/*.c)
COM_SRC  := $(wildcard common/*.c)
TOOL_SRC := $(wildcard tools/*.c)
UNIT_SRC := $(wildcard test/unit/test_*.c)
FUZZ_SRC := $(wildcard test/fuzz/fuzz_*.c)
HEADERS  := $(wildcard libhsync/*.h common/*.h combinerd/*.h hsyncd/*.h agentd/*.h test/unit/*.h)

# Daemon logic (everything but main.c) goes into a library that unit tests link too.
DLIB_SRC  = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))

PROGS     := $(addprefix $(BUILD)/bin/,$(DAEMONS) $(notdir $(TOOL_SRC:.c=)))
UNIT_BINS := $(patsubst test/unit/%.c,$(BUILD)/test/%,$(UNIT_SRC))
FUZZ_BINS := $(patsubst test/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

LIBS_NORMAL := $(foreach d,$(DLIBS),$(BUILD)/obj/lib$(d).a) $(BUILD)/obj/libcommon.a $(BUILD)/obj/libhsync.a
LIBS_SAN    := $(foreach d,$(DLIBS),$(BUILD)/san/lib$(d).a) $(BUILD)/san/libcommon.a $(BUILD)/san/libhsync.a

.PHONY: all deps check unit fuzz-seeds lint-man integration lab fuzz install clean
.DEFAULT_GOAL := all

all: $(PROGS)

# ---- Debian packages -------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "deps: installing" $$missing; \
	    $(SUDO) apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

# ---- objects -----------------------------------------------------------------
$(BUILD)/obj/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

define archive
$(BUILD)/$(1)/lib$(2).a: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$(3))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach v,obj san,$(eval $(call archive,$(v),hsync,$(LIB_SRC))))
$(foreach v,obj san,$(eval $(call archive,$(v),common,$(COM_SRC))))
$(foreach v,obj san,$(foreach d,$(DLIBS),$(eval $(call archive,$(v),$(d),$(call DLIB_SRC,$(d))))))

# ---- programs ------------------------------------------------------------------
define daemon
$(BUILD)/bin/$(1): $(BUILD)/obj/$(1)/main.o $(LIBS_NORMAL)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -o $$@ $$< $(LIBS_NORMAL) $$(PKG_LIBS) $$(LDFLAGS)
endef
$(foreach d,$(DAEMONS),$(eval $(call daemon,$(d))))

$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(LIBS_NORMAL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBS_NORMAL) $(PKG_LIBS) $(LDFLAGS)

# ---- tests -----------------------------------------------------------------------
$(BUILD)/test/%: $(BUILD)/san/test/unit/%.o $(LIBS_SAN)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $< $(LIBS_SAN) $(PKG_LIBS) $(CHECK_LIBS) $(LDFLAGS)

check: unit fuzz-seeds lint-man integration

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
	    HSYNC_TESTDATA=$(CURDIR)/test/data $$t || fail=1; done; exit $$fail

lint-man: | deps
	@if ls man/*.[0-9] >/dev/null 2>&1; then \
	    out=$$(mandoc -Tlint -W warning man/*.[0-9] 2>&1); \
	    if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "man pages: mandoc -Tlint clean"; fi

integration: $(PROGS)
	@HSYNC_BIN=$(CURDIR)/$(BUILD)/bin HSYNC_TOP=$(CURDIR) test/integration/run.sh

# Benchmarks (test/bench, figures in doc/bench.md): run by hand, not part of 'check'.
.PHONY: bench-hsyncd
bench-hsyncd: $(PROGS)
	@HSYNC_BIN=$(CURDIR)/$(BUILD)/bin HSYNC_TOP=$(CURDIR) test/bench/bench-hsyncd.sh
.PHONY: bench-combiner
bench-combiner: $(PROGS)
	@HSYNC_BIN=$(CURDIR)/$(BUILD)/bin HSYNC_TOP=$(CURDIR) test/bench/bench-combiner.sh
.PHONY: bench-convergence
bench-convergence: $(PROGS)
	@HSYNC_BIN=$(CURDIR)/$(BUILD)/bin HSYNC_TOP=$(CURDIR) test/bench/bench-convergence.sh
.PHONY: bench-ddns
bench-ddns: $(PROGS)
	@HSYNC_BIN=$(CURDIR)/$(BUILD)/bin HSYNC_TOP=$(CURDIR) test/bench/bench-ddns.sh

# ---- fuzzing (clang libFuzzer) ---------------------------------------------------
FUZZ_FLAGS = -std=gnu11 -I. -D_GNU_SOURCE $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined
# Daemon modules too (not main.c), so targets can fuzz their parsers (hsyncd/store, catalog).
FUZZ_LIB_SRC := $(LIB_SRC) $(COM_SRC) \
                $(filter-out %/main.c,$(wildcard hsyncd/*.c combinerd/*.c agentd/*.c))

$(BUILD)/fuzz/%: test/fuzz/%.c $(FUZZ_LIB_SRC) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(PKG_LIBS)

# Every seed runs once through its target: a cheap regression test inside 'make check'.
fuzz-seeds: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); \
	    seeds=$$(ls test/fuzz/corpus/$$n/* 2>/dev/null); \
	    [ -n "$$seeds" ] || { echo "fuzz: $$n has no seed corpus"; exit 1; }; \
	    $$f $$seeds >$(BUILD)/fuzz/$$n.log 2>&1 || { cat $(BUILD)/fuzz/$$n.log; exit 1; }; \
	    echo "fuzz seeds: $$n ok ($$(echo $$seeds | wc -w) inputs)"; done

fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); \
	    mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        $(BUILD)/fuzz/corpus-$$n test/fuzz/corpus/$$n || exit 1; done

# ---- lab, install ----------------------------------------------------------------
lab: $(PROGS)
	@HSYNC_BIN=$(CURDIR)/$(BUILD)/bin HSYNC_TOP=$(CURDIR) contrib/lab/lab.sh

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	for p in $(DAEMONS); do install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(PREFIX)/sbin/; done
	for p in $(notdir $(TOOL_SRC:.c=)); do install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(PREFIX)/bin/; done
	for m in man/*.[0-9]; do s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	    install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

clean:
	rm -rf $(BUILD)

.SECONDARY:

# ondc-gateway - seller-side ONDC node.
#
#   make            build every binary into build/bin/
#   make run        install what is missing, build, start the demo fleet (foreground)
#   make test       install what is missing, build, run every test (SAN=1: ASan+UBSan build)
#   make bench      the benchmark (BENCH_SECONDS sets the length of each run)
#   make chaos      kill -9 chaos under load (CHAOS_SECONDS, default 120)
#   make clean

CC      ?= cc
SAN     ?= 0
BUILD   := build$(if $(filter 1,$(SAN)),-san,)
CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Icommon
LDLIBS  := -lmicrohttpd -lzmq -ljansson -lsodium -llmdb -llz4 -lcurl -lcrypto -lm
ifeq ($(SAN),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
WORKER_LIB_SRC := $(filter-out workers/worker_main.c,$(wildcard workers/*.c))
WORKER_LIB_OBJ := $(WORKER_LIB_SRC:%.c=$(BUILD)/obj/%.o)

BINS := $(BUILD)/bin/ondc-ingress $(BUILD)/bin/ondc-dispatcher $(BUILD)/bin/ondc-worker \
        $(BUILD)/bin/ondc-callback $(BUILD)/bin/ondcctl
# the benchmark's load generator and callback sink (tools/bench_*.c), built when present
BENCH_SRC := $(wildcard tools/bench_*.c)
ifneq ($(BENCH_SRC),)
BINS += $(BUILD)/bin/ondc-bench
endif

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test run bench chaos clean unit e2e docs install deb deb-test fuzz fuzz-regress lint
all: $(BINS)

deps:
	@bash scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c $(wildcard common/*.h) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcommon.a: $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

$(BUILD)/libworkers.a: $(WORKER_LIB_OBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

$(BUILD)/bin/ondc-ingress: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard ingress/*.c)) $(BUILD)/libcommon.a
$(BUILD)/bin/ondc-dispatcher: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard dispatcher/*.c)) $(BUILD)/libcommon.a
$(BUILD)/bin/ondc-worker: $(BUILD)/obj/workers/worker_main.o $(BUILD)/libworkers.a $(BUILD)/libcommon.a
$(BUILD)/bin/ondc-callback: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard callback/*.c)) $(BUILD)/libcommon.a
$(BUILD)/bin/ondcctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/ondcctl*.c)) $(BUILD)/libcommon.a

$(BUILD)/bin/ondc-bench: $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRC)) $(BUILD)/libcommon.a

$(BINS):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libworkers.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworkers $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)

test: deps
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) bash tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/dev-setup etc/ondc.json
	@bash scripts/fleet start etc/ondc.json --foreground

chaos: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash scripts/chaos.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash scripts/bench.sh

clean:
	rm -rf build build-san build-fuzz

# regenerate the README's configuration reference from the config table
docs: all
	@python3 -c 'import re,subprocess; ref=subprocess.run(["$(BUILD)/bin/ondcctl","config-doc"],capture_output=True,text=True,check=True).stdout; s=open("README.md").read(); s=re.sub(r"<!-- config-reference:start -->.*<!-- config-reference:end -->","<!-- config-reference:start -->\n"+ref+"<!-- config-reference:end -->",s,flags=re.S); open("README.md","w").write(s)'

# ---- install and package ----
PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
VERSION ?= 0.1.0
SHARE   := $(PREFIX)/share/ondc-gateway

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHARE)/etc $(DESTDIR)$(SHARE)/scripts \
	    $(DESTDIR)$(SYSCONFDIR)/ondc-gateway $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/doc/ondc-gateway
	install -m 0755 $(BUILD)/bin/ondc-ingress $(BUILD)/bin/ondc-dispatcher $(BUILD)/bin/ondc-worker \
	    $(BUILD)/bin/ondc-callback $(BUILD)/bin/ondcctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 etc/supervisord.conf.in etc/demo-catalog.json etc/ondc.json etc/ondc-production.json \
	    etc/registry-empty.json $(DESTDIR)$(SHARE)/etc/
	install -m 0755 scripts/fleet scripts/dev-setup $(DESTDIR)$(SHARE)/scripts/
	install -m 0644 etc/systemd/*.service etc/systemd/*.target $(DESTDIR)$(UNITDIR)/
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/ondc-gateway/
	[ -f $(DESTDIR)$(SYSCONFDIR)/ondc-gateway/ondc.json ] || \
	    install -m 0640 etc/ondc-production.json $(DESTDIR)$(SYSCONFDIR)/ondc-gateway/ondc.json

DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB      := build/ondc-gateway_$(VERSION)_$(DEB_ARCH).deb
DEB_DEPENDS := libmicrohttpd12, libzmq5, libjansson4, libsodium23, liblmdb0, liblz4-1, libcurl4, libssl3, adduser

deb: all
	rm -rf build/deb && mkdir -p build/deb/DEBIAN
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/build/deb
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' -e 's/@DEPENDS@/$(DEB_DEPENDS)/' \
	    etc/debian/control.in > build/deb/DEBIAN/control
	echo /etc/ondc-gateway/ondc.json > build/deb/DEBIAN/conffiles
	install -m 0755 etc/debian/postinst etc/debian/prerm etc/debian/postrm build/deb/DEBIAN/
	dpkg-deb --root-owner-group --build build/deb $(DEB)
	@echo "built $(DEB)"

# install the package on this machine, run it, remove it (changes the system)
deb-test: deb
	bash scripts/deb-test.sh $(DEB)

# ---- fuzzing (libFuzzer) and static analysis ----
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Icommon -Iingress -Iworkers \
    -fno-sanitize-recover=undefined -fprofile-instr-generate -fcoverage-mapping
FUZZ_LIB_SRC := $(COMMON_SRC) $(WORKER_LIB_SRC)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=build-fuzz/obj/%.o)

# the library once, instrumented for the fuzzers; each harness links it
build-fuzz/obj/%.o: %.c $(wildcard common/*.h) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build-fuzz/libfuzzcommon.a: $(FUZZ_LIB_OBJ)
	ar rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h ingress/ingress_check.c build-fuzz/libfuzzcommon.a
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build-fuzz/libfuzzcommon.a $(LDLIBS)

# every harness for FUZZ_SECONDS from its seed corpus; new inputs collect in build-fuzz/corpus
fuzz: deps $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build-fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  LLVM_PROFILE_FILE=build-fuzz/$$n.profraw $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/$$n- build-fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY)" || true; \
	  ls build-fuzz/$$n-crash-* build-fuzz/$$n-leak-* >/dev/null 2>&1 && { echo "$$n: findings in build-fuzz/"; exit 1; } || true; \
	done

# replay the seed corpora and every kept regression input (fast; part of make test)
fuzz-regress: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	  files=$$(ls tests/fuzz/corpus/$$n/* tests/fuzz/regress/$$n/* 2>/dev/null || true); \
	  [ -z "$$files" ] || $$f -runs=0 $$files >/dev/null 2>build-fuzz/$$n.regress.log || { cat build-fuzz/$$n.regress.log; exit 1; }; \
	  echo "  $$n: $$(echo $$files | wc -w) inputs ok"; done

SRC_ALL := $(wildcard common/*.c ingress/*.c dispatcher/*.c workers/*.c callback/*.c tools/*.c)
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	    --suppressions-list=.cppcheck-suppressions -D_GNU_SOURCE -Icommon --std=c11 $(SRC_ALL)
	clang-tidy --quiet $(SRC_ALL) -- -std=gnu11 -D_GNU_SOURCE -Icommon -Iingress -Iworkers

# ondc-gateway - seller-side ONDC node.
#
#   make            build every binary into build/bin/
#   make run        install what is missing, build, start the demo fleet (foreground)
#   make test       install what is missing, build, run every test (SAN=1: ASan+UBSan build)
#   make bench      the benchmark (BENCH_SECONDS sets the length of each run)
#   make chaos      kill -9 chaos under load (CHAOS_SECONDS, default 120)
#   make network    a buyer, a gateway and two seller fleets on this machine (scripts/network)
#   make conformance LVU_DIR=...  the retail flows judged by ONDC's log validation
#                   utility (a built copy; docs/conformance.md); not part of make test
#   make clean

CC      ?= cc
SAN     ?= 0
VERSION ?= 0.1.0
BUILD   := build$(if $(filter 1,$(SAN)),-san,)
CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -DONDC_VERSION='"$(VERSION)"'
LDLIBS  := -lmicrohttpd -lczmq -lzmq -ljansson -lsodium -llmdb -llz4 -lcurl -lcrypto -lm
ifeq ($(SAN),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# The shared code is a stack of layers, each folder one static library. A
# layer may use only the layers before it in LAYERS: it is compiled with
# only those include paths, and `make layers` links each library against
# the ones below it alone, so a call upward fails to build.
LAYERS     := util global store ondc seller buyer runtime
$(foreach l,$(LAYERS),$(eval LOWER_$(l) := $(LAYERS_SEEN))$(eval LAYERS_SEEN += $(l)))
LAYER_INC  := $(addprefix -I,$(LAYERS))
reverse     = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
# linked top layer first, as the linker resolves left to right
LIBS       := $(foreach l,$(call reverse,$(LAYERS)),$(BUILD)/lib$(l).a)
LAYER_SRC  := $(foreach l,$(LAYERS),$(wildcard $(l)/*.c))
LAYER_HDR  := $(foreach l,$(LAYERS),$(wildcard $(l)/*.h))

# each layer sees itself and the layers below; the stages see every layer
$(foreach l,$(LAYERS),$(eval $(BUILD)/obj/$(l)/%.o: INC := $(addprefix -I,$(LOWER_$(l)) $(l))))
INC ?= $(LAYER_INC)

WORKER_LIB_SRC := $(filter-out workers/worker_main.c,$(wildcard workers/*.c))
WORKER_LIB_OBJ := $(WORKER_LIB_SRC:%.c=$(BUILD)/obj/%.o)
CALLBACK_LIB_SRC := $(filter-out callback/callback_main.c,$(wildcard callback/*.c))
CALLBACK_LIB_OBJ := $(CALLBACK_LIB_SRC:%.c=$(BUILD)/obj/%.o)

# the admin API without its main, for the unit tests and the fuzz harness
ADMIN_LIB_SRC := $(filter-out admin/admin_main.c,$(wildcard admin/*.c))
ADMIN_LIB_OBJ := $(ADMIN_LIB_SRC:%.c=$(BUILD)/obj/%.o)

BINS := $(BUILD)/bin/ondc-ingress $(BUILD)/bin/ondc-admin $(BUILD)/bin/ondc-dispatcher \
        $(BUILD)/bin/ondc-worker $(BUILD)/bin/ondc-callback $(BUILD)/bin/ondcctl \
        $(BUILD)/bin/ondc-client
# the benchmark's load generator and callback sink (tools/bench_*.c), built when present,
# and its floor (tools/bench_floor.c: a bare server that verifies, parses and ACKs)
BENCH_SRC := $(filter-out tools/bench_floor.c,$(wildcard tools/bench_*.c))
ifneq ($(BENCH_SRC),)
BINS += $(BUILD)/bin/ondc-bench
endif
ifneq ($(wildcard tools/bench_floor.c),)
BINS += $(BUILD)/bin/ondc-bench-floor
endif

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# what every unit test links besides the layers and libworkers.a: the
# shared fixtures (tests/unit/fixture_*.c), and libingress.a, every ingress
# file but its main (the request checks and the listeners, as the fuzz
# harnesses have ingress_check.c)
FIXTURE_SRC := $(wildcard tests/unit/fixture_*.c)
FIXTURE_OBJ := $(FIXTURE_SRC:%.c=$(BUILD)/obj/%.o)
INGRESS_LIB_SRC := $(filter-out ingress/ingress_main.c,$(wildcard ingress/*.c))
INGRESS_LIB_OBJ := $(INGRESS_LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_INC := $(LAYER_INC) -Iworkers -Iingress -Icallback -Iadmin -Itests/unit

.PHONY: conformance
.PHONY: all layers deps test run bench chaos network clean unit e2e docs install deb deb-test fuzz fuzz-regress lint
all: $(BINS) $(BUILD)/layers.ok

deps:
	@bash scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c $(LAYER_HDR) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) -c $< -o $@

# one static library per layer (made anew when a file is added or removed:
# the folder's own time changes)
$(foreach l,$(LAYERS),$(eval $(BUILD)/lib$(l).a: $(l) $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(l)/*.c))))
$(LIBS):
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $(filter %.o,$^)

$(BUILD)/libworkers.a: $(WORKER_LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libingress.a: $(INGRESS_LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

# the fixtures see every layer, the workers' and the ingress's headers
$(BUILD)/obj/tests/unit/%.o: INC := $(UNIT_INC)
$(FIXTURE_OBJ): $(wildcard tests/unit/*.h)
$(BUILD)/libfixture.a: $(FIXTURE_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libcallback.a: $(CALLBACK_LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libadmin.a: $(ADMIN_LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

# the layer rule, checked by the linker: each library whole, with only the
# libraries below it; an undefined symbol means a call upward (or sideways)
$(BUILD)/layers.ok: $(LIBS)
	@mkdir -p $(BUILD)/layers
	@printf 'int main(void) { return 0; }\n' > $(BUILD)/layers/main.c
	@set -e; seen=""; for l in $(LAYERS); do \
	  below=""; for b in $$seen; do below="$(BUILD)/lib$$b.a $$below"; done; \
	  $(CC) $(LDFLAGS) -o $(BUILD)/layers/$$l $(BUILD)/layers/main.c \
	    -Wl,--whole-archive $(BUILD)/lib$$l.a -Wl,--no-whole-archive $$below $(LDLIBS) \
	    || { echo "layers: $$l calls a layer above it (allowed below it: $$seen)"; exit 1; }; \
	  seen="$$seen $$l"; done
	@touch $@

layers: $(BUILD)/layers.ok

$(BUILD)/bin/ondc-ingress: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard ingress/*.c)) $(LIBS)
$(BUILD)/bin/ondc-admin: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard admin/*.c)) $(LIBS)
$(BUILD)/bin/ondc-client: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard client/*.c)) $(LIBS)
$(BUILD)/bin/ondc-dispatcher: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard dispatcher/*.c)) $(LIBS)
$(BUILD)/bin/ondc-worker: $(BUILD)/obj/workers/worker_main.o $(BUILD)/libworkers.a $(LIBS)
$(BUILD)/bin/ondc-callback: $(BUILD)/obj/callback/callback_main.o $(BUILD)/libcallback.a $(LIBS)
$(BUILD)/bin/ondcctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/ondcctl*.c)) $(LIBS)

$(BUILD)/bin/ondc-bench: $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRC)) $(LIBS)
$(BUILD)/bin/ondc-bench-floor: $(BUILD)/obj/tools/bench_floor.o $(LIBS)

$(BINS):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libfixture.a \
    $(BUILD)/libingress.a $(BUILD)/libadmin.a $(BUILD)/libworkers.a $(BUILD)/libcallback.a $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(UNIT_INC) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)

test: deps
	@$(MAKE) --no-print-directory -j $(NPROC) all unit
	@BUILD=$(BUILD) bash tests/run.sh

run: deps
	@$(MAKE) --no-print-directory -j $(NPROC) all
	@bash scripts/dev-setup etc/ondc.json
	@bash scripts/fleet start etc/ondc.json --foreground

chaos: deps
	@$(MAKE) --no-print-directory -j $(NPROC) all
	@BUILD=$(BUILD) bash scripts/chaos.sh

network: deps
	@$(MAKE) --no-print-directory -j $(NPROC) all
	@ONDC_BIN=$(abspath $(BUILD))/bin python3 scripts/network start

bench: deps
	@$(MAKE) --no-print-directory -j $(NPROC) all
	@BUILD=$(BUILD) bash scripts/bench.sh

clean:
	rm -rf build build-san build-fuzz

# regenerate the generated parts of the documentation: the configuration
# reference (docs/operations.md) and the order state table (docs/protocol.md)
# between their markers, and the ondc-gateway.conf(5) manual page
docs: all
	@python3 scripts/docs-update $(BUILD)/bin/ondcctl

# ---- install and package ----
PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
GENDIR  ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system-generators,$(PREFIX)/lib/systemd/system-generators)
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SHARE   := $(PREFIX)/share/ondc-gateway

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHARE)/etc $(DESTDIR)$(SHARE)/scripts \
	    $(DESTDIR)$(SYSCONFDIR)/ondc-gateway $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/doc/ondc-gateway/docs \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(GENDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(BUILD)/bin/ondc-ingress $(BUILD)/bin/ondc-admin $(BUILD)/bin/ondc-dispatcher \
	    $(BUILD)/bin/ondc-worker $(BUILD)/bin/ondc-callback $(BUILD)/bin/ondcctl \
	    $(BUILD)/bin/ondc-client $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 etc/supervisord.conf.in etc/demo-catalog.json etc/ondc.json etc/ondc-production.json \
	    etc/registry-empty.json $(DESTDIR)$(SHARE)/etc/
	install -m 0755 scripts/fleet scripts/dev-setup $(DESTDIR)$(SHARE)/scripts/
	install -d $(DESTDIR)$(SHARE)/console
	install -m 0644 admin/console/* $(DESTDIR)$(SHARE)/console/
	install -m 0644 etc/systemd/*.service etc/systemd/*.target $(DESTDIR)$(UNITDIR)/
	install -m 0755 etc/systemd/ondc-gateway-generator $(DESTDIR)$(GENDIR)/
	install -m 0644 etc/tmpfiles-ondc-gateway.conf $(DESTDIR)$(TMPFILESDIR)/ondc-gateway.conf
	install -m 0644 etc/nginx-ondc-gateway.conf $(DESTDIR)$(SHARE)/etc/
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/ondc-gateway/
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/ondc-gateway/docs/
	install -m 0644 docs/man/ondc-gateway.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 docs/man/ondcctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	[ -f $(DESTDIR)$(SYSCONFDIR)/ondc-gateway/ondc.json ] || \
	    install -m 0640 etc/ondc-production.json $(DESTDIR)$(SYSCONFDIR)/ondc-gateway/ondc.json
	# the processes run as "ondc": the config is root:ondc 0640 (the package
	# sets it with dpkg-statoverride; here, when that group exists)
	-[ -n "$(DESTDIR)" ] || ! getent group ondc >/dev/null || \
	    chgrp ondc $(SYSCONFDIR)/ondc-gateway/ondc.json

DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB      := build/ondc-gateway_$(VERSION)_$(DEB_ARCH).deb
DEB_DEPENDS := libmicrohttpd12, libzmq5, libczmq4, libjansson4, libsodium23, liblmdb0, liblz4-1, libcurl4, libssl3, adduser

deb: all
	rm -rf build/deb && mkdir -p build/deb/DEBIAN
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/build/deb
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' -e 's/@DEPENDS@/$(DEB_DEPENDS)/' \
	    etc/debian/control.in > build/deb/DEBIAN/control
	echo /etc/ondc-gateway/ondc.json > build/deb/DEBIAN/conffiles
	install -m 0755 etc/debian/postinst etc/debian/prerm etc/debian/postrm build/deb/DEBIAN/
	dpkg-deb --root-owner-group --build build/deb $(DEB)
	@echo "built $(DEB)"

# install the package on this machine, run it, remove it (changes the system);
# then, where systemd is not PID 1 but systemd-nspawn is there, the same
# under systemd in a container over this machine's root
deb-test: deb
	bash scripts/deb-test.sh $(DEB)
	@if [ ! -d /run/systemd/system ] && command -v systemd-nspawn >/dev/null; then \
	  bash scripts/deb-test-systemd.sh $(DEB); \
	else echo "deb-test: systemd-nspawn absent: not run under systemd (apt-get install systemd-container)"; fi

# ---- fuzzing (libFuzzer) and static analysis ----
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE $(LAYER_INC) -Iingress -Iadmin -Iworkers \
    -fno-sanitize-recover=undefined -fprofile-instr-generate -fcoverage-mapping
FUZZ_LIB_SRC := $(LAYER_SRC) $(WORKER_LIB_SRC)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=build-fuzz/obj/%.o)

# the library once, instrumented for the fuzzers; each harness links it
build-fuzz/obj/%.o: %.c $(LAYER_HDR) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build-fuzz/libfuzzcommon.a: $(FUZZ_LIB_OBJ)
	ar rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h ingress/ingress_check.c build-fuzz/libfuzzcommon.a
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build-fuzz/libfuzzcommon.a $(LDLIBS)

# the admin harness drives ondc-admin's API itself (admin/ without its main)
build-fuzz/libfuzzadmin.a: $(ADMIN_LIB_SRC:%.c=build-fuzz/obj/%.o)
	ar rcs $@ $^

build-fuzz/fuzz_admin: tests/fuzz/fuzz_admin.c tests/fuzz/fuzz_common.h build-fuzz/libfuzzadmin.a build-fuzz/libfuzzcommon.a
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build-fuzz/libfuzzadmin.a \
	    build-fuzz/libfuzzcommon.a $(LDLIBS)

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

NPROC := $(shell nproc 2>/dev/null || echo 2)
SRC_ALL := $(LAYER_SRC) $(wildcard ingress/*.c admin/*.c client/*.c dispatcher/*.c workers/*.c callback/*.c tools/*.c)
# the unit tests and their shared fixtures, with the include paths they build with
LINT_UNIT_SRC := $(UNIT_SRC) $(FIXTURE_SRC)
CPPCHECK := cppcheck --quiet -j $(NPROC) --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	    --suppressions-list=.cppcheck-suppressions --include=/usr/include/jansson.h -D_GNU_SOURCE --std=c11
lint:
	$(CPPCHECK) $(LAYER_INC) $(SRC_ALL)
	$(CPPCHECK) $(UNIT_INC) $(LINT_UNIT_SRC)
	@printf '%s\n' $(SRC_ALL) $(LINT_UNIT_SRC) | xargs -P $(NPROC) -n 6 sh -c 'clang-tidy --quiet "$$@" \
	    -- -std=gnu11 -D_GNU_SOURCE $(LAYER_INC) -Iingress -Iadmin -Iworkers -Icallback -Itests/unit' clang-tidy

# ONDC's log validation utility judges the flows the fleet plays; it cannot
# be fetched here, so LVU_DIR names a built copy (docs/conformance.md)
LVU_PORT ?= 4101
conformance: all
	@if [ -z "$(LVU_DIR)" ] || [ ! -f "$(LVU_DIR)/ui/app.js" ]; then \
	    echo "make conformance needs LVU_DIR, a built copy of ONDC's log-validation-utility:"; \
	    echo "  git clone https://github.com/ONDC-Official/log-validation-utility lvu"; \
	    echo "  cd lvu && npm install && npx tsc"; \
	    echo "  make conformance LVU_DIR=\$$PWD/lvu   (docs/conformance.md)"; \
	    exit 2; fi
	ONDC_BIN=$(abspath $(BUILD))/bin python3 scripts/conformance.py --lvu-dir "$(LVU_DIR)" --port $(LVU_PORT)

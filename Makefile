# tcpip - the one entry point: all, test, run, install, clean.
#   make              build tcpipd and the unit tests into build/
#   make SANITIZE=1   the same with ASan+UBSan into build/asan/
#   make test         install missing Debian packages (as root), build both,
#                     run unit tests on both builds and the netns integration tests
#   make run          build and start tcpipd on conf/default.json (root: TAP)
#   make install      PREFIX=/usr/local DESTDIR=
#   make bench        tcpipd vs the kernel's TCP and the TAP ceiling (root; bench/README.md)
#   make fuzz         build the libFuzzer targets (clang) into build/fuzz/ and run
#                     each for FUZZ_SECONDS (default 60); make fuzz-smoke: short run

CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
CONFIG ?= conf/default.json

ifeq ($(SANITIZE),1)
BUILD := build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1
else
BUILD := build
SANFLAGS :=
OPT := -O2
endif

CPPFLAGS := -I. -D_GNU_SOURCE
CFLAGS := -std=c11 -Wall -Wextra -Werror $(OPT) -g $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS)
DEPFLAGS = -MMD -MP

STACK_SRC := $(sort $(wildcard stack/*.c stack/*/*.c))
DAEMON_SRC := $(sort $(filter-out daemon/main.c,$(wildcard daemon/*.c)))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_SUPPORT_SRC := $(sort $(wildcard tests/unit/support/*.c))

STACK_OBJ := $(STACK_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_SUPPORT_OBJ := $(UNIT_SUPPORT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
SIM_SRC := $(sort $(wildcard tests/sim/test_sim_*.c))
SIM_SUPPORT_SRC := $(sort $(filter-out tests/sim/test_sim_%.c,$(wildcard tests/sim/*.c)))
SIM_SUPPORT_OBJ := $(SIM_SUPPORT_SRC:%.c=$(BUILD)/%.o)
SIM_BIN := $(SIM_SRC:%.c=$(BUILD)/%)

DAEMON_LIBS := -lev -lcjson
TEST_LIBS := -lcmocka

.PHONY: all test test-unit test-integration run install uninstall clean deps deps-build
.PHONY: fuzz fuzz-build fuzz-smoke

all: $(BUILD)/tcpipd $(UNIT_BIN) $(SIM_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libstack.a: $(STACK_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libtcpipd.a: $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tcpipd: $(BUILD)/daemon/main.o $(BUILD)/libtcpipd.a $(BUILD)/libstack.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS)

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_SUPPORT_OBJ) $(BUILD)/libtcpipd.a $(BUILD)/libstack.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(DAEMON_LIBS)

# Simulated-link tests: two stacks joined in memory (tests/sim/simlink.c
# and the other non-test_sim_* files there are linked into each).
$(BUILD)/tests/sim/test_sim_%: $(BUILD)/tests/sim/test_sim_%.o $(SIM_SUPPORT_OBJ) $(BUILD)/libstack.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

deps-build:
	@scripts/deps.sh build

deps:
	@scripts/deps.sh test

# Unit tests on the plain and the sanitizer build, then integration tests
# (root + /dev/net/tun + ip netns) against the sanitizer build of tcpipd.
test: deps
	$(MAKE) all
	$(MAKE) SANITIZE=1 all
	$(MAKE) fuzz-build
	@tests/run.sh

test-unit: deps-build all
	@tests/run.sh --unit-only $(BUILD)

test-integration: deps all
	@tests/run.sh --integration-only $(BUILD)

run: deps-build $(BUILD)/tcpipd
	@if [ "$$(id -u)" != 0 ]; then echo "make run: tcpipd needs root (or CAP_NET_ADMIN) to create the TAP device; run it as root" >&2; exit 1; fi
	$(BUILD)/tcpipd -c $(CONFIG)

install: $(BUILD)/tcpipd
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/tcpip
	install -m 0755 $(BUILD)/tcpipd $(DESTDIR)$(PREFIX)/sbin/tcpipd
	install -m 0644 conf/default.json $(DESTDIR)$(PREFIX)/share/tcpip/default.json

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/tcpipd $(DESTDIR)$(PREFIX)/share/tcpip/default.json
	-rmdir $(DESTDIR)$(PREFIX)/share/tcpip 2>/dev/null

# ---- fuzzing: libFuzzer targets in tests/fuzz/, built with clang ----
# Each target compiles the sources it needs directly (not the gcc-built
# libraries): libFuzzer needs every object instrumented with
# -fsanitize=fuzzer. Seeds live in tests/fuzz/corpus/<target>/; `make fuzz`
# grows a copy in build/fuzz/corpus-<target>/ and leaves crash files in
# build/fuzz/ (crash-<target>-*). -max_len: frames stay under 2048 bytes
# (MTU 1500 + headers); a config may be longer.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 20000
FUZZ_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS := fuzz_stack_input fuzz_wire fuzz_config
FUZZ_BIN := $(FUZZ_TARGETS:%=build/fuzz/%)
FUZZ_STACK_DEPS := $(STACK_SRC) $(wildcard stack/*.h stack/*/*.h)

fuzz-build: $(FUZZ_BIN)

build/fuzz/fuzz_stack_input: tests/fuzz/fuzz_stack_input.c $(FUZZ_STACK_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(STACK_SRC)

build/fuzz/fuzz_wire: tests/fuzz/fuzz_wire.c $(FUZZ_STACK_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(STACK_SRC)

FUZZ_CONFIG_SRC := $(sort $(wildcard daemon/config*.c))
build/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(FUZZ_CONFIG_SRC) $(wildcard daemon/config*.h) \
		$(FUZZ_STACK_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CONFIG_SRC) $(STACK_SRC) -lcjson

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== fuzz: $$t for $(FUZZ_SECONDS) s"; \
		case $$t in fuzz_config) len=8192 ;; *) len=2048 ;; esac; \
		mkdir -p build/fuzz/corpus-$$t; \
		cp -n tests/fuzz/corpus/$$t/* build/fuzz/corpus-$$t/ 2>/dev/null || true; \
		build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$len \
			-print_final_stats=1 -artifact_prefix=build/fuzz/crash-$$t- \
			build/fuzz/corpus-$$t; \
	done

fuzz-smoke: fuzz-build
	@FUZZ_RUNS=$(FUZZ_RUNS) tests/run.sh --fuzz-only build/fuzz

# ---- benchmarks: make bench (see bench/README.md) ----
# tcpipd's built-in TCP services against the kernel's TCP over a veth pair
# and the raw TAP ceiling, in namespaces bench/run.sh makes; root only.
# Always the plain -O2 build, whatever SANITIZE says. BENCH_RUNS (default 3)
# and BENCH_SECS (per measurement, default 2) pass through the environment.
BENCH_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g
BENCH_BIN := build/bench/tcpbench build/bench/tap_ceiling build/bench/stackpeer

.PHONY: bench bench-build
bench-build: $(BENCH_BIN)

build/bench/tcpbench: bench/tcpbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BENCH_CFLAGS) -o $@ $<

build/bench/tap_ceiling: bench/tap_ceiling.c build/libtcpipd.a build/libstack.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BENCH_CFLAGS) -o $@ $^

build/bench/stackpeer: bench/stackpeer.c build/libtcpipd.a build/libstack.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BENCH_CFLAGS) -o $@ $^ $(DAEMON_LIBS)

bench: deps-build
	$(MAKE) SANITIZE= build/tcpipd bench-build
	@bench/run.sh build

clean:
	rm -rf build

-include $(STACK_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(UNIT_SUPPORT_OBJ:.o=.d) $(UNIT_SRC:%.c=$(BUILD)/%.d) $(SIM_SUPPORT_OBJ:.o=.d) $(SIM_SRC:%.c=$(BUILD)/%.d) $(BUILD)/daemon/main.d

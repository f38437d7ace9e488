# tcpip - the one entry point: all, test, run, install, clean.
#   make              build tcpipd and the unit tests into build/
#   make SANITIZE=1   the same with ASan+UBSan into build/asan/
#   make test         install missing Debian packages (as root), build both,
#                     run unit tests on both builds and the netns integration tests
#   make run          build and start tcpipd on conf/default.json (root: TAP)
#   make install      PREFIX=/usr/local DESTDIR= (also SBINDIR MANDIR SYSCONFDIR
#                     SYSTEMD_UNITDIR SYSUSERSDIR); make uninstall
#   make bench        tcpipd vs the kernel's TCP and the TAP ceiling (root; bench/README.md)
#   make test-long    the long tests (tests/long/): a one-hour memory soak (root;
#                     SOAK_SECS shortens it)
#   make fuzz         build the libFuzzer targets (clang) into build/fuzz/ and run
#                     each for FUZZ_SECONDS (default 60); make fuzz-smoke: short run

CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
# install locations (DESTDIR is prepended to each; PREFIX-relative ones
# follow PREFIX). The config lives in /etc whatever PREFIX is: that is
# where tcpipd looks without -c.
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
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
IPC_SRC := $(sort $(wildcard ipc/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_SUPPORT_SRC := $(sort $(wildcard tests/unit/support/*.c))

STACK_OBJ := $(STACK_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
IPC_OBJ := $(IPC_SRC:%.c=$(BUILD)/%.o)
UNIT_SUPPORT_OBJ := $(UNIT_SUPPORT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
SIM_SRC := $(sort $(wildcard tests/sim/test_sim_*.c))
SIM_SUPPORT_SRC := $(sort $(filter-out tests/sim/test_sim_%.c,$(wildcard tests/sim/*.c)))
SIM_SUPPORT_OBJ := $(SIM_SUPPORT_SRC:%.c=$(BUILD)/%.o)
SIM_BIN := $(SIM_SRC:%.c=$(BUILD)/%)
# tests/scripts: the packet-script runner (tests/scripts/README.md).
SCRIPTS_BIN := $(BUILD)/tests/scripts/test_scripts

# libtcpip (client-lib/, with its own -fPIC copy of the ipc/ codec): only
# the tcpip_* names are exported from the .so (-fvisibility=hidden).
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LIBTCPIP_VERSION := 1.0.0
LIBTCPIP_SO := libtcpip.so.$(LIBTCPIP_VERSION)
LIBTCPIP_SRC := $(sort $(filter-out client-lib/preload%.c,$(wildcard client-lib/*.c))) $(IPC_SRC)
LIBTCPIP_OBJ := $(LIBTCPIP_SRC:%.c=$(BUILD)/client-lib/pic/%.o)
LIBTCPIP := $(BUILD)/client-lib/libtcpip.a $(BUILD)/client-lib/$(LIBTCPIP_SO) \
	$(BUILD)/client-lib/libtcpip.so.1 $(BUILD)/client-lib/libtcpip.so $(BUILD)/tcpip.pc
# libtcpip-preload.so: the same objects and the wrappers of client-lib/preload*.c,
# for LD_PRELOAD; tcpip-run starts a program with it (tools/tcpip-run.in).
BINDIR ?= $(PREFIX)/bin
PRELOAD_SRC := $(sort $(wildcard client-lib/preload*.c))
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/client-lib/pic/%.o)
PRELOAD_SO := $(BUILD)/client-lib/libtcpip-preload.so
TCPIP_RUN := $(BUILD)/tcpip-run

# examples/: small programs on tcpip.h alone; tests/api/api_suite: the
# cross-backend API suite (run in a namespace by tests/integration/test_api.sh).
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
API_SUITE := $(BUILD)/tests/api/api_suite
API_SUITE_PLAIN := $(BUILD)/tests/api/api_suite_plain

DAEMON_LIBS := -lev -lcjson
TEST_LIBS := -lcmocka

.PHONY: all test test-unit test-integration test-long run install uninstall clean deps deps-build
.PHONY: fuzz fuzz-build fuzz-smoke

all: $(BUILD)/tcpipd $(BUILD)/tcpipctl $(LIBTCPIP) $(PRELOAD_SO) $(TCPIP_RUN) $(UNIT_BIN) $(SIM_BIN) \
	$(SCRIPTS_BIN) $(EXAMPLE_BIN) $(API_SUITE) $(API_SUITE_PLAIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libstack.a: $(STACK_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libtcpipd.a: $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# ipc/: the daemon <-> client-lib codec (libc only), shared by both.
$(BUILD)/libipc.a: $(IPC_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tcpipd: $(BUILD)/daemon/main.o $(BUILD)/libtcpipd.a $(BUILD)/libstack.a $(BUILD)/libipc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS)

# tcpipctl: the control-channel client (docs/control.md); needs cJSON only.
$(BUILD)/tcpipctl: $(BUILD)/tools/tcpipctl.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcjson

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_SUPPORT_OBJ) $(BUILD)/libtcpipd.a $(BUILD)/libstack.a \
		$(BUILD)/libipc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(DAEMON_LIBS)

# ---- libtcpip ----
$(BUILD)/client-lib/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -pthread $(DEPFLAGS) -c $< -o $@

$(BUILD)/client-lib/libtcpip.a: $(LIBTCPIP_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/client-lib/$(LIBTCPIP_SO): $(LIBTCPIP_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libtcpip.so.1 -o $@ $^ -pthread

$(PRELOAD_SO): $(LIBTCPIP_OBJ) $(PRELOAD_OBJ)
	$(CC) $(LDFLAGS) -shared -o $@ $^ -pthread -ldl

# The build's tcpip-run names the build's library (tests); install writes
# one naming the installed library.
TCPIP_RUN_SED = sed -e 's|@PRELOAD@|$(1)|' -e 's|@VERSION@|$(LIBTCPIP_VERSION)|'
$(TCPIP_RUN): tools/tcpip-run.in Makefile
	@mkdir -p $(dir $@)
	$(call TCPIP_RUN_SED,$(abspath $(PRELOAD_SO))) $< >$@
	chmod 0755 $@

$(BUILD)/client-lib/libtcpip.so.1: $(BUILD)/client-lib/$(LIBTCPIP_SO)
	ln -sf $(LIBTCPIP_SO) $@

$(BUILD)/client-lib/libtcpip.so: $(BUILD)/client-lib/libtcpip.so.1
	ln -sf libtcpip.so.1 $@

LIBTCPIP_PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIBTCPIP_VERSION)|'
$(BUILD)/tcpip.pc: client-lib/tcpip.pc.in Makefile
	@mkdir -p $(dir $@)
	$(LIBTCPIP_PC_SED) $< >$@

# The client library's tests link libtcpip.a (its internals included) and
# their own fixture (a fake tcpipd), not the stack's.
CLIENT_UNIT_BIN := $(BUILD)/tests/unit/test_client_lib $(BUILD)/tests/unit/test_client_direct
$(CLIENT_UNIT_BIN): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o \
		$(BUILD)/tests/unit/support/client_fixture.o $(BUILD)/client-lib/libtcpip.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) -pthread

# examples/ and the API suite: both link the static libtcpip.
# Examples include <tcpip.h> as any program built against the installed
# library does (pkg-config --cflags tcpip).
$(BUILD)/examples/%.o: CPPFLAGS += -Iclient-lib
$(BUILD)/examples/%: $(BUILD)/examples/%.o $(BUILD)/client-lib/libtcpip.a
	$(CC) $(LDFLAGS) -o $@ $^ -pthread

$(API_SUITE): $(BUILD)/tests/api/api_suite.o $(BUILD)/client-lib/libtcpip.a
	$(CC) $(LDFLAGS) -o $@ $^ -pthread

# The same suite with plain BSD calls and no libtcpip, for tcpip-run.
$(API_SUITE_PLAIN): tests/api/api_suite.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DAPI_SUITE_PLAIN $(DEPFLAGS) -o $@ $<

.PHONY: install-libtcpip uninstall-libtcpip
install-libtcpip: $(LIBTCPIP) $(PRELOAD_SO)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/tcpip $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/client-lib/$(LIBTCPIP_SO) $(DESTDIR)$(LIBDIR)/$(LIBTCPIP_SO)
	ln -sf $(LIBTCPIP_SO) $(DESTDIR)$(LIBDIR)/libtcpip.so.1
	ln -sf libtcpip.so.1 $(DESTDIR)$(LIBDIR)/libtcpip.so
	install -m 0644 $(BUILD)/client-lib/libtcpip.a $(DESTDIR)$(LIBDIR)/libtcpip.a
	install -m 0644 client-lib/tcpip.h $(DESTDIR)$(INCLUDEDIR)/tcpip.h
	$(LIBTCPIP_PC_SED) client-lib/tcpip.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/tcpip.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/tcpip.pc
	install -m 0644 docs/man/libtcpip.3 $(DESTDIR)$(MANDIR)/man3/libtcpip.3
	install -m 0644 client-lib/tcpip/bsd.h $(DESTDIR)$(INCLUDEDIR)/tcpip/bsd.h
	install -m 0755 $(PRELOAD_SO) $(DESTDIR)$(LIBDIR)/libtcpip-preload.so
	$(call TCPIP_RUN_SED,$(LIBDIR)/libtcpip-preload.so) tools/tcpip-run.in \
		>$(DESTDIR)$(BINDIR)/tcpip-run
	chmod 0755 $(DESTDIR)$(BINDIR)/tcpip-run
	install -m 0644 docs/man/tcpip-run.1 $(DESTDIR)$(MANDIR)/man1/tcpip-run.1

uninstall-libtcpip:
	rm -f $(DESTDIR)$(LIBDIR)/$(LIBTCPIP_SO) $(DESTDIR)$(LIBDIR)/libtcpip.so.1
	rm -f $(DESTDIR)$(LIBDIR)/libtcpip.so $(DESTDIR)$(LIBDIR)/libtcpip.a
	rm -f $(DESTDIR)$(INCLUDEDIR)/tcpip.h $(DESTDIR)$(LIBDIR)/pkgconfig/tcpip.pc
	rm -f $(DESTDIR)$(MANDIR)/man3/libtcpip.3
	rm -f $(DESTDIR)$(INCLUDEDIR)/tcpip/bsd.h $(DESTDIR)$(LIBDIR)/libtcpip-preload.so
	rm -f $(DESTDIR)$(BINDIR)/tcpip-run $(DESTDIR)$(MANDIR)/man1/tcpip-run.1
	-rmdir $(DESTDIR)$(INCLUDEDIR)/tcpip 2>/dev/null

# Simulated-link tests: two stacks joined in memory (tests/sim/simlink.c
# and the other non-test_sim_* files there are linked into each).
$(BUILD)/tests/sim/test_sim_%: $(BUILD)/tests/sim/test_sim_%.o $(SIM_SUPPORT_OBJ) $(BUILD)/libstack.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

# The packet-script runner: the stack with the unit tests' fake netif and
# scripted peer (tests/unit/support).
$(SCRIPTS_BIN): $(BUILD)/tests/scripts/test_scripts.o $(UNIT_SUPPORT_OBJ) $(BUILD)/libtcpipd.a \
		$(BUILD)/libstack.a $(BUILD)/libipc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(DAEMON_LIBS)

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

# Soaks and other long runs, on the plain build whatever SANITIZE says
# (ASan's allocator quarantines freed memory: RSS would measure that).
test-long: deps
	$(MAKE) SANITIZE= all
	@tests/run.sh --long-only build

run: deps-build $(BUILD)/tcpipd
	@if [ "$$(id -u)" != 0 ]; then echo "make run: tcpipd needs root (or CAP_NET_ADMIN) to create the TAP device; run it as root" >&2; exit 1; fi
	$(BUILD)/tcpipd -c $(CONFIG)

# The unit file names the installed binary and config: its default paths
# (/usr/local/sbin, /etc) are rewritten for SBINDIR and SYSCONFDIR. An
# existing $(SYSCONFDIR)/tcpipd/tcpipd.json is the admin's and is never
# overwritten; uninstall removes it only if it is still the shipped one.
TCPIPD_CONF := $(DESTDIR)$(SYSCONFDIR)/tcpipd/tcpipd.json
install: $(BUILD)/tcpipd $(BUILD)/tcpipctl install-libtcpip
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PREFIX)/share/tcpip
	install -m 0755 $(BUILD)/tcpipd $(DESTDIR)$(SBINDIR)/tcpipd
	install -m 0755 $(BUILD)/tcpipctl $(DESTDIR)$(SBINDIR)/tcpipctl
	install -m 0644 conf/default.json $(DESTDIR)$(PREFIX)/share/tcpip/default.json
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	sed -e 's|/usr/local/sbin/tcpipd|$(SBINDIR)/tcpipd|g' \
	    -e 's|/etc/tcpipd/tcpipd.json|$(SYSCONFDIR)/tcpipd/tcpipd.json|g' \
	    systemd/tcpipd.service >$(DESTDIR)$(SYSTEMD_UNITDIR)/tcpipd.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/tcpipd.service
	install -m 0644 systemd/tcpipd.sysusers $(DESTDIR)$(SYSUSERSDIR)/tcpipd.conf
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 docs/man/tcpipd.8 $(DESTDIR)$(MANDIR)/man8/tcpipd.8
	install -m 0644 docs/man/tcpipctl.8 $(DESTDIR)$(MANDIR)/man8/tcpipctl.8
	install -m 0644 docs/man/tcpipd.json.5 $(DESTDIR)$(MANDIR)/man5/tcpipd.json.5
	install -d $(DESTDIR)$(SYSCONFDIR)/tcpipd
	[ -e $(TCPIPD_CONF) ] || install -m 0644 conf/default.json $(TCPIPD_CONF)

uninstall: uninstall-libtcpip
	rm -f $(DESTDIR)$(SBINDIR)/tcpipd $(DESTDIR)$(PREFIX)/share/tcpip/default.json
	rm -f $(DESTDIR)$(SBINDIR)/tcpipctl
	-rmdir $(DESTDIR)$(PREFIX)/share/tcpip 2>/dev/null
	rm -f $(DESTDIR)$(SYSTEMD_UNITDIR)/tcpipd.service $(DESTDIR)$(SYSUSERSDIR)/tcpipd.conf
	rm -f $(DESTDIR)$(MANDIR)/man8/tcpipd.8 $(DESTDIR)$(MANDIR)/man5/tcpipd.json.5
	rm -f $(DESTDIR)$(MANDIR)/man8/tcpipctl.8
	if cmp -s conf/default.json $(TCPIPD_CONF); then rm -f $(TCPIPD_CONF); \
	elif [ -e $(TCPIPD_CONF) ]; then echo "uninstall: keeping the edited $(TCPIPD_CONF)"; fi
	-rmdir $(DESTDIR)$(SYSCONFDIR)/tcpipd 2>/dev/null

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
FUZZ_TARGETS := fuzz_stack_input fuzz_wire fuzz_config fuzz_ipc
FUZZ_BIN := $(FUZZ_TARGETS:%=build/fuzz/%)
FUZZ_STACK_DEPS := $(STACK_SRC) $(wildcard stack/*.h stack/*/*.h)

fuzz-build: $(FUZZ_BIN)

build/fuzz/fuzz_stack_input: tests/fuzz/fuzz_stack_input.c $(FUZZ_STACK_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(STACK_SRC)

build/fuzz/fuzz_wire: tests/fuzz/fuzz_wire.c $(FUZZ_STACK_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(STACK_SRC)

FUZZ_CONFIG_SRC := $(sort $(wildcard daemon/config*.c)) daemon/capture_filter.c
build/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(FUZZ_CONFIG_SRC) $(wildcard daemon/config*.h) \
		$(FUZZ_STACK_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_CONFIG_SRC) $(STACK_SRC) -lcjson

build/fuzz/fuzz_ipc: tests/fuzz/fuzz_ipc.c $(IPC_SRC) ipc/ipc.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(IPC_SRC)

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
BENCH_BIN := build/bench/tcpbench build/bench/tap_ceiling build/bench/stackpeer \
	build/bench/tcpipserver

.PHONY: bench bench-build
bench-build: $(BENCH_BIN)

build/bench/tcpbench: bench/tcpbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BENCH_CFLAGS) -o $@ $<

# tcpbench's server on libtcpip's direct backend (the "via libtcpip" rows).
build/bench/tcpipserver: bench/tcpbench.c build/client-lib/libtcpip.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BENCH_CFLAGS) -DTCPBENCH_LIBTCPIP -o $@ $^ -pthread

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

-include $(LIBTCPIP_OBJ:.o=.d) $(PRELOAD_OBJ:.o=.d)
-include $(EXAMPLE_SRC:%.c=$(BUILD)/%.d) $(BUILD)/tests/api/api_suite.d $(API_SUITE_PLAIN).d
-include $(STACK_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(IPC_OBJ:.o=.d) $(UNIT_SUPPORT_OBJ:.o=.d) $(UNIT_SRC:%.c=$(BUILD)/%.d) $(SIM_SUPPORT_OBJ:.o=.d) $(SIM_SRC:%.c=$(BUILD)/%.d) $(BUILD)/daemon/main.d $(BUILD)/tools/tcpipctl.d

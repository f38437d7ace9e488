# tcpip - the one entry point: all, test, run, install, clean.
#   make              build tcpipd and the unit tests into build/
#   make SANITIZE=1   the same with ASan+UBSan into build/asan/
#   make test         install missing Debian packages (as root), build both,
#                     run unit tests on both builds and the netns integration tests
#   make run          build and start tcpipd on conf/default.json (root: TAP)
#   make install      PREFIX=/usr/local DESTDIR=

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

DAEMON_LIBS := -lev -lcjson
TEST_LIBS := -lcmocka

.PHONY: all test test-unit test-integration run install uninstall clean deps deps-build

all: $(BUILD)/tcpipd $(UNIT_BIN)

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

deps-build:
	@scripts/deps.sh build

deps:
	@scripts/deps.sh test

# Unit tests on the plain and the sanitizer build, then integration tests
# (root + /dev/net/tun + ip netns) against the sanitizer build of tcpipd.
test: deps
	$(MAKE) all
	$(MAKE) SANITIZE=1 all
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

clean:
	rm -rf build

-include $(STACK_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(UNIT_SUPPORT_OBJ:.o=.d) $(UNIT_SRC:%.c=$(BUILD)/%.d) $(BUILD)/daemon/main.d

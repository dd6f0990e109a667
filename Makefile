# STVS: build, run, stop, test, admin, bench. Plain make + pkg-config.
#   make run     install what is missing, set up, start the stack on 127.0.0.1:$(HTTP_PORT)
#   make test    ASan/UBSan build, unit tests, API tests against a fresh stack of its own
SHELL := /bin/bash
MODE ?= release
BUILD := build/$(MODE)
PKGS := jansson libpq libjwt openssl libcurl libargon2
SERVICES := auth volunteer org activity

CC := cc
CFLAGS_COMMON = -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -pthread \
	-Icommon $(shell pkg-config --cflags $(PKGS))
LDLIBS = $(shell pkg-config --libs $(PKGS)) -lfcgi -lm -pthread
ifeq ($(MODE),asan)
  CFLAGS_MODE = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS_MODE = -fsanitize=address,undefined
else
  CFLAGS_MODE = -O2 -g
  LDFLAGS_MODE =
endif
CFLAGS_ALL = $(CFLAGS_COMMON) $(CFLAGS_MODE) -MMD -MP

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBSTVS := $(BUILD)/libstvs.a

.PHONY: all build run stop test test-valgrind admin bench bench-tools deps clean unit
all: build

build: $(SERVICES:%=$(BUILD)/bin/stvs-%)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIBSTVS): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Each service: every .c in its directory, linked with libstvs.
define service_rule
$(1)_OBJ := $$(patsubst %.c,$(BUILD)/%.o,$$(wildcard services/$(1)/*.c))
$(BUILD)/bin/stvs-$(1): $$($(1)_OBJ) $(LIBSTVS)
	@mkdir -p $$(dir $$@)
	$$(CC) $(LDFLAGS_MODE) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call service_rule,$(s))))

# Unit tests: tests/unit/test_X.c links libstvs, plus the service objects
# listed for it here.
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
test_sms_aliyun_OBJ := services/auth/sms_aliyun.o
.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(addprefix $(BUILD)/,$$($$*_OBJ)) $(LIBSTVS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Iservices/auth -Itests/unit $(LDFLAGS_MODE) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)
unit: $(UNIT_BIN)

# The benchmark's own programs (bench/README.md), built like the services:
# fcgi_hello (the FastCGI ceiling), login_pair (the login driver), and
# sqldump-<svc>, which prints a service's statements from its sql.c (and
# common's, from common/common_sql.c).
BENCH_TOOLS := $(BUILD)/bench/fcgi_hello $(BUILD)/bench/login_pair $(SERVICES:%=$(BUILD)/bench/sqldump-%)
bench-tools: $(BENCH_TOOLS)
$(BUILD)/bench/fcgi_hello: bench/fcgi_hello.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_MODE) -o $@ $< -lfcgi -pthread
$(BUILD)/bench/login_pair: bench/login_pair.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_MODE) -o $@ $< -pthread
$(BUILD)/bench/sqldump-%: bench/sqldump.c $(BUILD)/services/%/sql.o $(BUILD)/common/common_sql.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Iservices/$* -DSVC_HEADER='"$*.h"' -DSVC_SQL=$*_sql $(LDFLAGS_MODE) -o $@ $^

deps:
	@scripts/deps.sh

run:
	@scripts/deps.sh
	@scripts/stack.sh run

stop:
	@scripts/stack.sh stop

test:
	@scripts/deps.sh
	@tests/run.sh

# The API suite with every service under valgrind (slower; not part of make test).
test-valgrind:
	@scripts/deps.sh
	@command -v valgrind >/dev/null || apt-get install -y -qq valgrind
	@STVS_VALGRIND=1 tests/run.sh

admin:
	@scripts/stack.sh admin "$(PHONE)" "$(REGION)"

# The benchmark on a stack of its own (var/bench, ports 18090 / 55434):
# writes bench/RESULTS.md. BENCH_SCALE=0.05 for a quick one (bench/run.sh).
bench:
	@bench/run.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

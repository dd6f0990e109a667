# STVS: build, run, stop, test, admin, bench. Plain make + pkg-config.
#   make run     install what is missing, set up, start the stack on 127.0.0.1:$(HTTP_PORT)
#   make test    ASan/UBSan build, unit tests, API tests against a fresh stack of its own
SHELL := /bin/bash
MODE ?= release
BUILD := build/$(MODE)
PKGS := jansson libpq libjwt openssl libcurl libargon2 libzip expat xlsxwriter
SERVICES := auth volunteer org activity import stats

CC := cc
CFLAGS_COMMON = -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -pthread \
	-Icommon $(shell pkg-config --cflags $(PKGS))
LDLIBS = $(shell pkg-config --libs $(PKGS)) -lcsv -lfcgi -lm -pthread
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

.PHONY: all build run stop status test test-scale test-valgrind admin bench bench-scale bench-tools deps clean unit fuzz web deploy-check
all: build

build: $(SERVICES:%=$(BUILD)/bin/stvs-%)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIBSTVS): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Each service: every .c in its directory, linked with libstvs (and the
# libraries <svc>_LIBS names for it alone).
stats_LIBS := -lxlsxwriter
define service_rule
$(1)_OBJ := $$(patsubst %.c,$(BUILD)/%.o,$$(wildcard services/$(1)/*.c))
$(BUILD)/bin/stvs-$(1): $$($(1)_OBJ) $(LIBSTVS)
	@mkdir -p $$(dir $$@)
	$$(CC) $(LDFLAGS_MODE) -o $$@ $$^ $$($(1)_LIBS) $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call service_rule,$(s))))

# Unit tests: tests/unit/test_X.c links libstvs, plus the service objects
# listed for it here (X_OBJ), with the include folders it needs (X_CFLAGS).
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
test_sms_aliyun_OBJ := services/auth/sms_aliyun.o services/auth/sms_aliyun_sign.o
test_sms_aliyun_CFLAGS := -Iservices/auth
test_hours_OBJ := services/activity/hours.o
test_hours_CFLAGS := -Iservices/activity
test_list_shape_OBJ := services/activity/sql.o
test_list_shape_CFLAGS := -Iservices/activity
test_cells_OBJ := services/import/cells.o services/import/sheet.o services/import/csv_read.o services/import/xlsx_read.o
test_cells_CFLAGS := -Iservices/import
.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(addprefix $(BUILD)/,$$($$*_OBJ)) $(LIBSTVS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $($*_CFLAGS) -Itests/unit $(LDFLAGS_MODE) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)
unit: $(UNIT_BIN)

# The benchmark's own programs (bench/README.md), built like the services:
# fcgi_hello (the FastCGI ceiling), login_pair (the login driver), rush (the
# sign-up rush, with tokens signed by common/token.c), and
# sqldump-<svc>, which prints a service's statements from its sql.c (and
# common's, from common/common_sql.c).
BENCH_TOOLS := $(BUILD)/bench/fcgi_hello $(BUILD)/bench/login_pair $(BUILD)/bench/rush $(SERVICES:%=$(BUILD)/bench/sqldump-%)
bench-tools: $(BENCH_TOOLS)
$(BUILD)/bench/fcgi_hello: bench/fcgi_hello.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_MODE) -o $@ $< -lfcgi -pthread
$(BUILD)/bench/login_pair: bench/login_pair.c bench/httpc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_MODE) -o $@ $< -pthread
$(BUILD)/bench/rush: bench/rush.c bench/httpc.h $(LIBSTVS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_MODE) -o $@ $< $(LIBSTVS) $(LDLIBS) -pthread
$(BUILD)/bench/sqldump-%: bench/sqldump.c $(BUILD)/services/%/sql.o $(LIBSTVS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Iservices/$* -DSVC_HEADER='"$*.h"' -DSVC_SQL=$*_sql $(LDFLAGS_MODE) -o $@ \
		$(filter %.c %.o %.a,$^) $(LDLIBS)

# Fuzzing the import's readers of files from strangers (libFuzzer, Debian's
# clang; not part of make test): FUZZ_SECONDS each, seeded with the API
# tests' fixtures; crashing inputs are kept in tests/fuzz/regressions/ and
# replayed first.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SRC := services/import/xlsx_read.c services/import/csv_read.c services/import/sheet.c \
	services/import/cells.c services/import/roster.c $(COMMON_SRC)
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_COMMON) -g -O1 -fsanitize=fuzzer,address,undefined -Wno-unused-command-line-argument \
		-o $@ $^ $(LDLIBS)
fuzz: $(FUZZ_DIR)/fuzz_xlsx $(FUZZ_DIR)/fuzz_xlsx_parts $(FUZZ_DIR)/fuzz_csv
	@command -v $(FUZZ_CC) >/dev/null || apt-get install -y -qq clang
	@python3 tests/fuzz/make_seeds.py $(FUZZ_DIR)/corpus-xlsx $(FUZZ_DIR)/corpus-csv $(FUZZ_DIR)/corpus-xlsx_parts
	@for t in xlsx xlsx_parts csv; do \
		mkdir -p tests/fuzz/regressions/$$t; \
		if ls tests/fuzz/regressions/$$t/* >/dev/null 2>&1; then \
			$(FUZZ_DIR)/fuzz_$$t tests/fuzz/regressions/$$t/* || exit 1; fi; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=1048576 -timeout=10 \
			-artifact_prefix=tests/fuzz/regressions/$$t/ $(FUZZ_DIR)/corpus-$$t || exit 1; \
	done

deps:
	@scripts/deps.sh

# The PC client (web/): npm ci when package-lock.json is newer than the
# installed tree, vite build when any source is newer than web/dist.
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) \
	web/index.html web/vite.config.js web/package.json web/package-lock.json
web: web/dist/index.html
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
web/dist/index.html: $(WEB_SRC) web/node_modules/.package-lock.json
	cd web && npm run --silent build

run:
	@scripts/deps.sh
	@$(MAKE) -s web
	@scripts/stack.sh run

stop:
	@scripts/stack.sh stop

# Every process (service, index, pid, alive, socket, restarts), nginx, the
# primary, the standby and its lag.
status:
	@scripts/stack.sh status

test:
	@scripts/deps.sh
	@tests/run.sh

# The scale-out stack under test (tests/scale/run.sh): 3 processes per
# service, a standby and read pools, on ports 18135 / 55535 (sockets only).
test-scale:
	@scripts/deps.sh
	@tests/scale/run.sh

# The API suite with every service under valgrind (slower; not part of make test).
test-valgrind:
	@scripts/deps.sh
	@command -v valgrind >/dev/null || apt-get install -y -qq valgrind
	@STVS_VALGRIND=1 tests/run.sh

# deploy/: systemd units (systemd-analyze verify), nginx routing, Kubernetes
# manifests (schemas, offline); also run by make test.
deploy-check:
	@bash tests/deploy_check.sh

admin:
	@scripts/stack.sh admin "$(PHONE)" "$(REGION)"

# The benchmark on a stack of its own (var/bench, ports 18090 / 55434):
# writes bench/RESULTS.md. BENCH_SCALE=0.05 for a quick one (bench/run.sh).
bench:
	@bench/run.sh

# Throughput with 1, 2 and 4 processes per service, CPU per request, reads
# with and without the standby (var/bench-scale, ports 18095 / 55445):
# writes bench/SCALE.md. BENCH_SCALE as for make bench.
bench-scale:
	@bench/scale.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

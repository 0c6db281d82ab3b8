# relatio – one Makefile: build, run the demo, test, check, bench, fmt, clean.
# Two build flavours share the same sources: build/rel (optimised) and
# build/asan (AddressSanitizer + UndefinedBehaviorSanitizer).

PKGS    := sqlite3 libmicrohttpd jansson libsodium libutf8proc libcurl gsl zlib libpq
CC      ?= cc
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
DEFS    := -D_GNU_SOURCE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lm -lpthread

MODE    ?= rel
B       := build/$(MODE)
ifeq ($(MODE),asan)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDOPT   := -fsanitize=address,undefined
else
OPT     := -O2 -g
LDOPT   :=
endif
CFLAGS_ALL = $(WARN) $(DEFS) $(OPT) -Isrc -I$(B)/gen $(PKG_CFLAGS) -MMD -MP

LIB_SRC  := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC)) $(B)/obj/gen/migrations.o
MIGRATIONS := $(sort $(wildcard src/store/migrations/*/*.sql))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
WEB_SRC  := $(shell find web/src web/index.html web/portal.html web/vite.config.ts web/package.json -type f 2>/dev/null)

.PHONY: all run test check bench fuzz fmt clean deps web unit asan soak print-flags
all: deps $(B)/relatio $(UNIT_BIN) web

deps:
	@scripts/deps.sh

$(B)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

$(B)/gen/migrations.c: $(MIGRATIONS) $(B)/tools/embed
	@mkdir -p $(dir $@)
	$(B)/tools/embed migrations src/store/migrations/ $(MIGRATIONS) > $@

$(B)/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/librelatio.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/relatio: $(B)/obj/src/main.o $(B)/librelatio.a
	$(CC) $(LDOPT) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/librelatio.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/librelatio.a $(LDOPT) $(PKG_LIBS) -lcmocka

web/dist/index.html: $(WEB_SRC)
	@if [ -f web/package.json ]; then cd web && npm run --silent build; fi
	@mkdir -p web/dist && touch $@

web: web/dist/index.html

unit: $(B)/relatio $(UNIT_BIN)
asan:
	$(MAKE) MODE=asan build/asan/relatio unit

# The demo: build, generate a demo database once, serve it on 127.0.0.1:8080.
run: all
	@[ -f demo.db ] || $(B)/relatio demo --db demo.db --no-serve
	$(B)/relatio serve --db demo.db --port 8080 --bind 127.0.0.1 --web web/dist

test: all
	@$(MAKE) --no-print-directory MODE=asan build/asan/relatio unit
	@scripts/test.sh

check: all
	@scripts/check.sh

bench: all
	@scripts/bench.sh

# The library's compile and link flags, for the programs of bench/.
print-flags:
	@echo $(PKG_CFLAGS) $(PKG_LIBS)

fuzz: deps
	@scripts/fuzz.sh

soak: all
	@scripts/soak.sh

fmt:
	clang-format -i $$(find src tests tools bench -name '*.[ch]')

clean:
	rm -rf build web/dist

-include $(shell find build -name '*.d' 2>/dev/null)

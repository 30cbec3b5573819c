# Thin wrapper over CMake. `make run` and `make test` are the two commands of
# the quick start; both install missing Debian packages first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DATA ?= var
LISTEN ?= 127.0.0.1:8080

.PHONY: all deps build run test test-unit test-api bench fuzz clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/forewarnd --data $(DATA) --listen $(LISTEN)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

test-api: build
	cd $(BUILD) && ctest --output-on-failure -L api

bench: build
	@scripts/bench.sh $(BUILD)

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DFW_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-fuzz -j $(JOBS)
	@scripts/fuzz.sh build-fuzz

clean:
	rm -rf $(BUILD) build-asan build-fuzz

/*
 * Stand-in for libcudart (CUDA 12/13 runtime API), for tests on machines without a GPU.
 * "Device" memory is host memory from malloc; copies are memcpy; streams are tokens and everything is synchronous.
 * Status codes and error strings are those the real runtime documents. Counters and failure injection are exported
 * as standin_* functions that the tests call through the same library.
 */
#include <stdlib.h>
#include <string.h>
#include <stddef.h>

typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2, cudaErrorNoDevice = 100 };

static long live_device, live_host, live_streams;
static long malloc_calls, memcpy_calls;
static size_t device_total = (size_t) 1 << 30;  /* pretend 1 GiB */
static size_t device_used;
static int fail_malloc_after = -1;               /* -1: never; n: the (n+1)-th cudaMalloc from now fails */
static int device_count = 1;
static int current_device = 0;

/* Each allocation carries its size in a header so that cudaFree can account for it. */
typedef struct { size_t size; size_t pad; } header;

void standin_reset(void) {
    live_device = live_host = live_streams = 0;
    malloc_calls = memcpy_calls = 0;
    device_total = (size_t) 1 << 30;
    device_used = 0;
    fail_malloc_after = -1;
    device_count = 1;
}
void standin_set_device_memory(size_t total) { device_total = total; }
void standin_fail_malloc_after(int n) { fail_malloc_after = n; }
void standin_set_device_count(int n) { device_count = n; }
long standin_live_device(void) { return live_device; }
long standin_live_host(void) { return live_host; }
long standin_live_streams(void) { return live_streams; }
long standin_malloc_calls(void) { return malloc_calls; }
long standin_memcpy_calls(void) { return memcpy_calls; }
size_t standin_device_used(void) { return device_used; }

const char *cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case 0: return "no error";
        case 1: return "invalid argument";
        case 2: return "out of memory";
        case 3: return "initialization error";
        case 35: return "CUDA driver version is insufficient for CUDA runtime version";
        case 100: return "no CUDA-capable device is detected";
        case 101: return "invalid device ordinal";
        case 400: return "invalid resource handle";
        default: return "unrecognized error code";
    }
}

cudaError_t cudaGetDeviceCount(int *count) {
    if (!count) return cudaErrorInvalidValue;
    if (device_count == 0) { *count = 0; return cudaErrorNoDevice; }
    *count = device_count;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
    if (device < 0 || device >= device_count) return 101;
    current_device = device;
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t size) {
    if (!ptr) return cudaErrorInvalidValue;
    malloc_calls++;
    if (fail_malloc_after == 0) { fail_malloc_after = -1; *ptr = NULL; return cudaErrorMemoryAllocation; }
    if (fail_malloc_after > 0) fail_malloc_after--;
    if (device_used + size > device_total) { *ptr = NULL; return cudaErrorMemoryAllocation; }
    header *h = malloc(sizeof(header) + (size ? size : 1));
    if (!h) return cudaErrorMemoryAllocation;
    h->size = size;
    device_used += size;
    live_device++;
    *ptr = h + 1;
    return cudaSuccess;
}

cudaError_t cudaFree(void *ptr) {
    if (!ptr) return cudaSuccess;
    header *h = ((header *) ptr) - 1;
    device_used -= h->size;
    live_device--;
    free(h);
    return cudaSuccess;
}

cudaError_t cudaMallocHost(void **ptr, size_t size) {
    if (!ptr) return cudaErrorInvalidValue;
    *ptr = malloc(size ? size : 1);
    if (!*ptr) return cudaErrorMemoryAllocation;
    live_host++;
    return cudaSuccess;
}

cudaError_t cudaFreeHost(void *ptr) {
    if (!ptr) return cudaSuccess;
    free(ptr);
    live_host--;
    return cudaSuccess;
}

/* cudaMemcpyKind: 0 host->host, 1 host->device, 2 device->host, 3 device->device, 4 default. */
cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, int kind) {
    if (kind < 0 || kind > 4) return cudaErrorInvalidValue;
    if (count && (!dst || !src)) return cudaErrorInvalidValue;
    memcpy_calls++;
    if (count) memcpy(dst, src, count);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, int kind, void *stream) {
    (void) stream;
    return cudaMemcpy(dst, src, count, kind);
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total) {
    if (!free_bytes || !total) return cudaErrorInvalidValue;
    *total = device_total;
    *free_bytes = device_total - device_used;
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(void **stream) {
    if (!stream) return cudaErrorInvalidValue;
    *stream = malloc(16);
    live_streams++;
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(void *stream) {
    if (!stream) return 400;
    free(stream);
    live_streams--;
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(void *stream) {
    (void) stream;
    return cudaSuccess;
}

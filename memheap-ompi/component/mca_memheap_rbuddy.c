/*
 * mca_memheap_rbuddy.c - the OSHMEM memheap component "rbuddy": memheap-core's buddy heap
 * (Rust, linked in as libmemheap_ompi.a) behind Open MPI 4.1's memheap component ABI.
 *
 * A thin shim: the component and module structures, three MCA parameters, and one call into
 * the Rust library per module slot. No OPAL objects (mutexes, lists, hash tables), so the
 * component does not depend on how Open MPI was built (debug or not): OSHMEM holds its own
 * allocation mutex around the module calls and the Rust side has its own lock.
 *
 * OSHMEM maps the symmetric segment, registers it and exchanges keys; it hands the component
 * the user heap and the private heap after it (memheap_context_t), and fills the module's
 * last four slots itself (get_mkey, is_symmetric_addr and get_all_mkeys come from liboshmem,
 * memheap_size is set after init).
 *
 * Built by build.sh (next to this file); see the README, "Open MPI / many nodes".
 */
#include "oshmem_config.h"

#include "opal/mca/base/mca_base_var.h"
#include "opal/util/output.h"
#include "oshmem/constants.h"
#include "oshmem/mca/memheap/base/base.h"
#include "oshmem/mca/memheap/memheap.h"
#include "oshmem/mca/spml/spml.h"

#include "memheap_rbuddy.h"

#ifndef MEMHEAP_RBUDDY_VERSION_MAJOR
#define MEMHEAP_RBUDDY_VERSION_MAJOR 0
#define MEMHEAP_RBUDDY_VERSION_MINOR 1
#define MEMHEAP_RBUDDY_VERSION_RELEASE 0
#endif

/* Default priority: between OSHMEM's buddy (1) and ptmalloc (100), so installing the component
 * changes nothing until it is asked for (--mca memheap rbuddy) or its priority is raised
 * (--mca memheap_rbuddy_priority 200). DECISIONS.md says why. */
#define RBUDDY_DEFAULT_PRIORITY 50

static int rbuddy_priority = RBUDDY_DEFAULT_PRIORITY;
static unsigned long rbuddy_capacity = 0;
static int rbuddy_verbose = 0;

static int rbuddy_register(void);
static int rbuddy_open(void);
static int rbuddy_close(void);
static int rbuddy_query(mca_base_module_t **module, int *priority);
static int rbuddy_init(memheap_context_t *context);

/* The one exported symbol: the loader looks up mca_<type>_<name>_component. */
__attribute__((visibility("default"))) mca_memheap_base_component_t mca_memheap_rbuddy_component = {
    .memheap_version = {
        MCA_MEMHEAP_BASE_VERSION_2_0_0,
        .mca_component_name = "rbuddy",
        MCA_BASE_MAKE_VERSION(component, MEMHEAP_RBUDDY_VERSION_MAJOR,
                              MEMHEAP_RBUDDY_VERSION_MINOR, MEMHEAP_RBUDDY_VERSION_RELEASE),
        .mca_open_component = rbuddy_open,
        .mca_close_component = rbuddy_close,
        .mca_query_component = rbuddy_query,
        .mca_register_component_params = rbuddy_register,
    },
    .memheap_data = {
        MCA_BASE_METADATA_PARAM_NONE
    },
    .memheap_init = rbuddy_init,
};

/* Map a status of the Rust library to an OSHMEM return code. Any failure makes the OSHMEM
 * caller return NULL before its barrier; the same calls fail on every PE (placement is
 * deterministic), so no PE is left in a barrier. */
static int rbuddy_rc(int status)
{
    switch (status) {
    case RBUDDY_OK:
        return OSHMEM_SUCCESS;
    case RBUDDY_OUT_OF_MEMORY:
    case RBUDDY_CAPACITY:
        return OSHMEM_ERR_OUT_OF_RESOURCE;
    case RBUDDY_BAD_ALIGNMENT:
    case RBUDDY_INVALID_POINTER:
    case RBUDDY_DOUBLE_FREE:
        return OSHMEM_ERR_BAD_PARAM;
    default:
        return OSHMEM_ERROR;
    }
}

/* Tell the transport a user block is in use, as OSHMEM's own components do (UCX prefetches
 * on-demand-paged registrations with it; a no-op otherwise). */
static void rbuddy_used(void *ptr, size_t size)
{
    if (NULL != mca_spml.spml_memuse_hook) {
        mca_spml.spml_memuse_hook(ptr, size);
    }
}

static int rbuddy_alloc(size_t size, void **out)
{
    int rc = memheap_rbuddy_alloc(size, out);
    if (RBUDDY_OK == rc) {
        rbuddy_used(*out, size);
    }
    return rbuddy_rc(rc);
}

static int rbuddy_memalign(size_t align, size_t size, void **out)
{
    int rc = memheap_rbuddy_memalign(align, size, out);
    if (RBUDDY_OK == rc) {
        rbuddy_used(*out, size);
    }
    return rbuddy_rc(rc);
}

static int rbuddy_realloc(size_t new_size, void *old, void **out)
{
    int rc = memheap_rbuddy_realloc(new_size, old, out);
    if (RBUDDY_OK == rc && NULL != *out) {
        rbuddy_used(*out, new_size);
    }
    return rbuddy_rc(rc);
}

static int rbuddy_free(void *ptr)
{
    return rbuddy_rc(memheap_rbuddy_free(ptr));
}

static int rbuddy_private_alloc(size_t size, void **out)
{
    return rbuddy_rc(memheap_rbuddy_private_alloc(size, out));
}

static int rbuddy_private_free(void *ptr)
{
    return rbuddy_rc(memheap_rbuddy_private_free(ptr));
}

static int rbuddy_finalize(void)
{
    return rbuddy_rc(memheap_rbuddy_finalize());
}

static mca_memheap_base_module_t rbuddy_module = {
    .memheap_component = &mca_memheap_rbuddy_component,
    .memheap_finalize = rbuddy_finalize,
    .memheap_alloc = rbuddy_alloc,
    .memheap_memalign = rbuddy_memalign,
    .memheap_realloc = rbuddy_realloc,
    .memheap_free = rbuddy_free,
    .memheap_private_alloc = rbuddy_private_alloc,
    .memheap_private_free = rbuddy_private_free,
    .memheap_get_local_mkey = mca_memheap_base_get_mkey,
    .memheap_is_symmetric_addr = mca_memheap_base_is_symmetric_addr,
    .memheap_get_all_mkeys = mca_memheap_modex_recv_all,
    .memheap_size = 0,
};

static void rbuddy_report(const char *msg)
{
    opal_output(0, "%s", msg);
}

static int rbuddy_register(void)
{
    mca_base_component_t *c = &mca_memheap_rbuddy_component.memheap_version;

    rbuddy_priority = RBUDDY_DEFAULT_PRIORITY;
    (void) mca_base_component_var_register(
        c, "priority",
        "Priority of the rbuddy memheap component (memheap-core's buddy heap: deterministic "
        "packed placement, 64-bit offsets, any shmem_align alignment, odd ones rounded up, "
        "in-place realloc, bad frees reported); the highest priority wins: ptmalloc 100, "
        "buddy 1",
        MCA_BASE_VAR_TYPE_INT, NULL, 0, 0, OPAL_INFO_LVL_3, MCA_BASE_VAR_SCOPE_READONLY,
        &rbuddy_priority);
    rbuddy_capacity = 0;
    (void) mca_base_component_var_register(
        c, "capacity",
        "Live blocks the user heap holds at once (each costs about 21 bytes of private "
        "address space, touched as it is used); 0 (default): memheap-core's derived capacity, "
        "about one per 2 KiB of heap, at most 1048576",
        MCA_BASE_VAR_TYPE_UNSIGNED_LONG, NULL, 0, 0, OPAL_INFO_LVL_4,
        MCA_BASE_VAR_SCOPE_READONLY, &rbuddy_capacity);
    rbuddy_verbose = 0;
    (void) mca_base_component_var_register(
        c, "verbose",
        "0: report errors only (foreign, interior and double frees, a full size table, an "
        "alignment no address of the heap has); 1: also the heaps at init and a summary of "
        "each at finalize; 2: also every refused allocation with the free bytes and largest "
        "free block",
        MCA_BASE_VAR_TYPE_INT, NULL, 0, 0, OPAL_INFO_LVL_5, MCA_BASE_VAR_SCOPE_LOCAL,
        &rbuddy_verbose);
    return OSHMEM_SUCCESS;
}

static int rbuddy_open(void)
{
    return OSHMEM_SUCCESS;
}

/* Called for every opened component, also when another one is selected: the Rust side
 * tolerates a finalize without init and a second finalize. */
static int rbuddy_close(void)
{
    (void) memheap_rbuddy_finalize();
    return OSHMEM_SUCCESS;
}

static int rbuddy_query(mca_base_module_t **module, int *priority)
{
    *priority = rbuddy_priority;
    *module = (mca_base_module_t *) &rbuddy_module;
    return OSHMEM_SUCCESS;
}

static int rbuddy_init(memheap_context_t *context)
{
    struct memheap_rbuddy_params params;

    if (NULL == context || 0 == context->user_size || 0 == context->private_size) {
        return OSHMEM_ERR_BAD_PARAM;
    }
    params.user_capacity = (size_t) rbuddy_capacity;
    params.verbose = rbuddy_verbose;
    params.report = rbuddy_report;
    if (RBUDDY_OK != memheap_rbuddy_init(context->user_base_addr, context->user_size,
                                         context->private_base_addr, context->private_size,
                                         &params)) {
        return OSHMEM_ERROR;
    }
    rbuddy_module.memheap_size = (long) context->user_size;
    return OSHMEM_SUCCESS;
}

// Clang's thread-safety attributes under weave's names, so that -Wthread-safety checks code that
// uses weave::Mutex. They expand to nothing for compilers without the analysis.
#pragma once

#if defined(__clang__)
#define WEAVE_TSA(x) __attribute__((x))
#else
#define WEAVE_TSA(x)
#endif

#define WEAVE_CAPABILITY(x) WEAVE_TSA(capability(x))
#define WEAVE_SCOPED_CAPABILITY WEAVE_TSA(scoped_lockable)
#define WEAVE_GUARDED_BY(x) WEAVE_TSA(guarded_by(x))
#define WEAVE_PT_GUARDED_BY(x) WEAVE_TSA(pt_guarded_by(x))
#define WEAVE_REQUIRES(...) WEAVE_TSA(requires_capability(__VA_ARGS__))
#define WEAVE_REQUIRES_SHARED(...) WEAVE_TSA(requires_shared_capability(__VA_ARGS__))
#define WEAVE_ACQUIRE(...) WEAVE_TSA(acquire_capability(__VA_ARGS__))
#define WEAVE_ACQUIRE_SHARED(...) WEAVE_TSA(acquire_shared_capability(__VA_ARGS__))
#define WEAVE_RELEASE(...) WEAVE_TSA(release_capability(__VA_ARGS__))
#define WEAVE_RELEASE_SHARED(...) WEAVE_TSA(release_shared_capability(__VA_ARGS__))
#define WEAVE_RELEASE_GENERIC(...) WEAVE_TSA(release_generic_capability(__VA_ARGS__))
#define WEAVE_TRY_ACQUIRE(...) WEAVE_TSA(try_acquire_capability(__VA_ARGS__))
#define WEAVE_TRY_ACQUIRE_SHARED(...) WEAVE_TSA(try_acquire_shared_capability(__VA_ARGS__))
#define WEAVE_EXCLUDES(...) WEAVE_TSA(locks_excluded(__VA_ARGS__))
#define WEAVE_NO_THREAD_SAFETY_ANALYSIS WEAVE_TSA(no_thread_safety_analysis)

// A pthread.h the way musl, macOS and the BSDs write the detach states: plain numeric macros
// (glibc uses enumerators). Only what the tests need.
#pragma once
typedef struct { int detached; } pthread_attr_t;
typedef unsigned long pthread_t;
#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED (1)
#ifdef __cplusplus
extern "C" {
#endif
int pthread_attr_init(pthread_attr_t *);
int pthread_attr_setdetachstate(pthread_attr_t *, int);
int pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
#ifdef __cplusplus
}
#endif

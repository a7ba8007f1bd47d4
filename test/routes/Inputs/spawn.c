#include <pthread.h>
#include <stddef.h>

void *refresh_keys(void *arg);

void start_refresher(void) {
  pthread_t t;
  pthread_create(&t, NULL, refresh_keys, NULL);
  pthread_detach(t);
  for (;;)
    refresh_keys(NULL);
}

void vetted(void) {
  pthread_t t;
  pthread_create(&t, NULL, refresh_keys, NULL); // NOLINT(tether-raw-thread): vetted in review
  pthread_join(t, NULL);
}

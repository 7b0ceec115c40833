/* Diagnosis only (not part of the benchmark): what first-touching fresh anonymous memory costs on this VM, and how it
 * depends on how long the memory sat free. The Firecracker balloon here has VIRTIO_BALLOON_F_REPORTING (feature bit 5 of
 * /sys/bus/virtio/devices/virtio0/features): free blocks of >= 2 MiB that stay free for ~2 s are reported to the host,
 * which drops them, so the next touch of such memory is a host fault as well as a guest fault. Any store that builds
 * 1.5 GB of rows (a reopen of 1M x 384, an addBatch of that size) pays it; reading a file into one reused buffer does not.
 * Build and run: gcc -O2 -pthread -o /tmp/fresh-memory benchmark/diag/fresh-memory.c && /tmp/fresh-memory 1500
 * Prints, for 4 KiB pages and for MADV_HUGEPAGE, fault+zero GB/s when the memory was freed just before (0 ms) and
 * 5 s before, with 1 and 2 threads touching it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
typedef struct {char*p;size_t n;} Part;
static void*touch(void*a){Part*p=a;for(size_t i=0;i<p->n;i+=4096)p->p[i]=1;return 0;}
static double run(size_t n,int huge,int threads){
  char*p=mmap(0,n,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  if(huge)madvise(p,n,MADV_HUGEPAGE);
  double t0=now();pthread_t t[8];Part a[8];
  for(int i=0;i<threads;i++){a[i].p=p+n/threads*i;a[i].n=n/threads;pthread_create(&t[i],0,touch,&a[i]);}
  for(int i=0;i<threads;i++)pthread_join(t[i],0);
  double ms=now()-t0;munmap(p,n);return ms;
}
int main(int argc,char**argv){
  size_t n=(size_t)(argc>1?atol(argv[1]):1500)<<20;
  int sleeps[2]={0,5000};
  for(int huge=0;huge<2;huge++)for(int s=0;s<2;s++)for(int th=1;th<=2;th++){
    run(n,huge,th);/* warm-up: the first touch of never-used guest memory is slow for another reason */
    double best=1e9,worst=0;
    for(int r=0;r<3;r++){usleep(sleeps[s]*1000);double ms=run(n,huge,th);if(ms<best)best=ms;if(ms>worst)worst=ms;}
    printf("%s freed %4d ms before, %d thread%s: fault+zero %zu MB in %.0f-%.0f ms (%.1f-%.1f GB/s)\n",huge?"THP":"4K ",sleeps[s],th,th>1?"s":" ",n>>20,best,worst,n/1e6/worst,n/1e6/best);
  }
}

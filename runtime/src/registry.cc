// The registry of live tasks (see registry.h).
#include "registry.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "spinlock.h"

namespace weave::detail {
namespace {

constexpr int kShards = 16;

struct alignas(64) Shard {
  SpinLock lock;
  Fiber* head = nullptr;  // guarded by lock
};

struct Registry {
  Shard shards[kShards];
  std::atomic<int> fibers{0};
  std::mutex threads_mu;
  std::vector<Task*> threads;  // guarded by threads_mu
};

Registry& reg() {
  static Registry* r = new Registry();  // never destroyed: fibers outlive static destruction
  return *r;
}

std::atomic<std::uint64_t> g_next_id{1};

}  // namespace

std::uint64_t next_task_id() { return g_next_id.fetch_add(1, std::memory_order_relaxed); }

void registry_add(Fiber* f) {
  Registry& r = reg();
  r.fibers.fetch_add(1, std::memory_order_relaxed);
  Shard& s = r.shards[f->id % kShards];
  s.lock.lock();
  f->reg_prev = nullptr;
  f->reg_next = s.head;
  if (s.head) s.head->reg_prev = f;
  s.head = f;
  s.lock.unlock();
}

void registry_remove(Fiber* f) {
  Registry& r = reg();
  Shard& s = r.shards[f->id % kShards];
  s.lock.lock();
  if (f->reg_prev) {
    f->reg_prev->reg_next = f->reg_next;
  } else {
    s.head = f->reg_next;
  }
  if (f->reg_next) f->reg_next->reg_prev = f->reg_prev;
  s.lock.unlock();
  r.fibers.fetch_sub(1, std::memory_order_release);
}

void registry_add_thread(Task* t) {
  std::lock_guard<std::mutex> hold(reg().threads_mu);
  reg().threads.push_back(t);
}

void registry_remove_thread(Task* t) {
  std::lock_guard<std::mutex> hold(reg().threads_mu);
  auto& v = reg().threads;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (*it == t) {
      v.erase(it);
      return;
    }
  }
}

int registry_fiber_count() { return reg().fibers.load(std::memory_order_acquire); }

void registry_for_each(const std::function<void(const Task&)>& fn) {
  Registry& r = reg();
  for (Shard& s : r.shards) {
    s.lock.lock();
    for (Fiber* f = s.head; f; f = f->reg_next) fn(*f);
    s.lock.unlock();
  }
  std::lock_guard<std::mutex> hold(r.threads_mu);
  for (Task* t : r.threads) fn(*t);
}

}  // namespace weave::detail

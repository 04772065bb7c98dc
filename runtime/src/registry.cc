// The registry of live tasks (see registry.h).
//
// A dump reads fibers that other threads are parking, waking, finishing and respawning on the
// same stack. It copies a fiber's fields between two reads of its stack's `fiber` pointer and of
// the fiber's id, and keeps the copy only if neither changed: the stack and its id change
// together at every spawn, like a sequence lock's counter. Stack memory is never unmapped, so
// the copy is always a read of mapped memory, at worst of a fiber being replaced, then thrown
// away.
#include "registry.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "stack.h"

namespace weave::detail {
namespace {

constexpr std::uint64_t kIdBlock = 64;

std::atomic<std::uint64_t> g_next_id_block{1};

// Fibers started minus fibers finished by one thread; only that thread writes it. The sum over
// all threads is the number of live fibers (threads that exit leave theirs in the list).
struct alignas(64) FiberCounter {
  std::atomic<std::int64_t> n{0};
  FiberCounter* next = nullptr;
};

std::atomic<FiberCounter*> g_counters{nullptr};

FiberCounter& this_counter() {
  static thread_local FiberCounter* c = [] {
    auto* fresh = new FiberCounter();  // never freed: the sum still counts it
    fresh->next = g_counters.load(std::memory_order_relaxed);
    while (!g_counters.compare_exchange_weak(fresh->next, fresh, std::memory_order_release)) {
    }
    return fresh;
  }();
  return *c;
}

void count(std::int64_t d) {
  std::atomic<std::int64_t>& n = this_counter().n;
  n.store(n.load(std::memory_order_relaxed) + d, std::memory_order_release);
}

struct Threads {
  std::mutex mu;
  std::vector<Task*> list;  // guarded by mu
};

Threads& threads() {
  static Threads* t = new Threads();  // never destroyed: threads outlive static destruction
  return *t;
}

// What every task shows, fiber or thread.
void copy_task(const Task* t, TaskView* v) {
  v->task = t;
  v->kind = t->kind;
  v->id = t->id;
  v->wait_reason = t->wait_reason.load(std::memory_order_acquire);
  v->wait_object = t->wait_object;
  v->wait_location = t->wait_location;
  v->wait_since_ns = t->wait_since_ns;
}

bool copy_fiber(const Stack* s, TaskView* v) {
  const Fiber* f = s->fiber.load(std::memory_order_acquire);
  if (!f) return false;
  const std::uint64_t id = f->id;
  copy_task(f, v);
  v->created_at = f->created_at;
  v->parent_id = f->parent_id;
  v->parent_is_thread = f->parent_is_thread;
  std::atomic_thread_fence(std::memory_order_acquire);
  return s->fiber.load(std::memory_order_relaxed) == f && f->id == id;
}

}  // namespace

std::uint64_t next_task_id() {
  static thread_local std::uint64_t next = 0, end = 0;
  if (next == end) {
    next = g_next_id_block.fetch_add(kIdBlock, std::memory_order_relaxed);
    end = next + kIdBlock;
  }
  return next++;
}

void registry_add(Fiber* f) {
  count(+1);
  f->stack->fiber.store(f, std::memory_order_release);
}

void registry_remove(Fiber* f) {
  f->stack->fiber.store(nullptr, std::memory_order_release);
  count(-1);
}

void registry_add_thread(Task* t) {
  std::lock_guard<std::mutex> hold(threads().mu);
  threads().list.push_back(t);
}

void registry_remove_thread(Task* t) {
  std::lock_guard<std::mutex> hold(threads().mu);
  auto& v = threads().list;
  v.erase(std::remove(v.begin(), v.end(), t), v.end());
}

int registry_fiber_count() {
  std::int64_t sum = 0;
  for (FiberCounter* c = g_counters.load(std::memory_order_acquire); c; c = c->next) {
    sum += c->n.load(std::memory_order_acquire);
  }
  // Counters are read one after another: a fiber may be seen finishing but not starting.
  return sum > 0 ? static_cast<int>(sum) : 0;
}

std::vector<TaskView> registry_snapshot() {
  std::vector<TaskView> views;
  const std::size_t n = stacks_made();
  for (std::size_t i = 0; i < n; ++i) {
    TaskView v;
    if (copy_fiber(stack_at(i), &v)) views.push_back(v);
  }
  std::sort(views.begin(), views.end(),
            [](const TaskView& a, const TaskView& b) { return a.id < b.id; });
  std::lock_guard<std::mutex> hold(threads().mu);
  for (const Task* t : threads().list) {
    TaskView v;
    copy_task(t, &v);
    views.push_back(v);
  }
  return views;
}

void registry_visit(void (*fn)(Task* t, void* arg), void* arg) {
  const std::size_t n = stacks_made();
  for (std::size_t i = 0; i < n; ++i) {
    if (Fiber* f = stack_at(i)->fiber.load(std::memory_order_acquire)) fn(f, arg);
  }
  registry_visit_threads(fn, arg);
}

void registry_visit_threads(void (*fn)(Task* t, void* arg), void* arg) {
  std::lock_guard<std::mutex> hold(threads().mu);
  for (Task* t : threads().list) fn(t, arg);
}

}  // namespace weave::detail

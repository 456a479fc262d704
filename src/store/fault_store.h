// A store decorator that injects failures at chosen points, so tests can
// check what every layer above does when a write or a read goes wrong at
// each possible moment (crash safety without killing processes), in the
// spirit of LevelDB's fault-injecting Env.
//
// Puts (Put and PutIfAbsent) can fail without writing, leave a torn object
// (a prefix of the bytes under the final name, as a store without atomic
// writes would after a crash) and then fail, or leave a short object and
// report success (silent truncation). Reads (Get and GetRange) can fail or
// return the data with one byte flipped. Stat, List and Delete pass through.
//
// The plan and the counters live in a FaultController shared by the test and
// any number of fault stores, so a test can count the puts of a clean run,
// then arm a fault at each of them in turn.
//
// Thread-safety: every method of the store and the controller may be called
// concurrently from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/store.h"

namespace coffer {

enum class FaultKind {
  kNone,
  // Put: nothing is written; read: nothing is returned. Fails Unavailable.
  kError,
  // Put only: a prefix of the data (see FaultPlan::keep_fraction) is written
  // under the final name, then the put fails Unavailable.
  kTorn,
  // Put only: a prefix of the data is written and the put reports success.
  kTruncate,
  // Read only: the data is returned with one byte (its middle one) flipped.
  kFlip,
};

// Which calls of one kind (puts or reads) fail. A call matches when its
// object name starts with `prefix` ("" matches every name); matching calls
// are numbered from 1 in the order they reach the store.
struct FaultPoint {
  FaultKind kind = FaultKind::kNone;
  uint64_t nth = 0;    // fail only the nth matching call; 0: every matching call
  std::string prefix;  // e.g. "index/", "snapshots/", "data/"
};

// A kind that does not apply (kFlip for puts, kTorn or kTruncate for reads)
// injects nothing.
struct FaultPlan {
  FaultPoint put;   // Put and PutIfAbsent: kNone, kError, kTorn or kTruncate
  FaultPoint read;  // Get and GetRange: kNone, kError or kFlip
  // Torn and truncated objects keep floor(size * keep_fraction) bytes, and
  // always at least one byte less than the whole (an empty put stays empty).
  double keep_fraction = 0.5;
};

// Counts since the controller was made or last given a plan.
struct FaultCounts {
  uint64_t puts = 0;     // Put and PutIfAbsent calls, faulted ones included
  uint64_t reads = 0;    // Get and GetRange calls
  uint64_t stats = 0, lists = 0, deletes = 0;
  uint64_t faults = 0;   // calls a fault was injected into
};

// One injected fault, for messages and assertions.
struct InjectedFault {
  FaultKind kind = FaultKind::kNone;
  std::string name;       // the object
  uint64_t call = 0;      // its number among all puts (or all reads)
};

class FaultController {
 public:
  explicit FaultController(FaultPlan plan = {});

  // Replaces the plan and resets every counter and the logs.
  void SetPlan(FaultPlan plan);
  FaultCounts counts() const;
  // The names of all puts in call order, faulted ones included.
  std::vector<std::string> put_log() const;
  std::vector<InjectedFault> injected() const;

  // Used by the fault stores: counts the call and returns the fault to
  // inject into it (kNone for none).
  FaultKind OnPut(std::string_view name);
  FaultKind OnRead(std::string_view name);
  void OnStat();
  void OnList();
  void OnDelete();
  double keep_fraction() const;

 private:
  static bool Matches(const FaultPoint& point, std::string_view name, uint64_t& matched);

  mutable absl::Mutex mu_;
  FaultPlan plan_ ABSL_GUARDED_BY(mu_);
  FaultCounts counts_ ABSL_GUARDED_BY(mu_);
  uint64_t put_matches_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t read_matches_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> put_log_ ABSL_GUARDED_BY(mu_);
  std::vector<InjectedFault> injected_ ABSL_GUARDED_BY(mu_);
};

std::string_view FaultKindName(FaultKind kind);

// A fault store that owns `inner`.
std::unique_ptr<Store> NewFaultStore(std::unique_ptr<Store> inner,
                                     std::shared_ptr<FaultController> controller);
// A fault store over `inner`, which must outlive it (several fault stores,
// or a fault store and direct access, can share one inner store).
std::unique_ptr<Store> NewFaultStore(Store& inner, std::shared_ptr<FaultController> controller);
// Shorthand with a controller of its own (not observable from outside).
std::unique_ptr<Store> NewFaultStore(std::unique_ptr<Store> inner, FaultPlan plan);

}  // namespace coffer

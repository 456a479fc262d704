#include "store/fault_store.h"

#include <algorithm>
#include <utility>

#include "store/store_errors.h"

namespace coffer {

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone: return "none";
    case FaultKind::kError: return "error";
    case FaultKind::kTorn: return "torn object";
    case FaultKind::kTruncate: return "silent truncation";
    case FaultKind::kFlip: return "flipped byte";
  }
  return "unknown";
}

FaultController::FaultController(FaultPlan plan) : plan_(std::move(plan)) {}

void FaultController::SetPlan(FaultPlan plan) {
  absl::MutexLock lock(&mu_);
  plan_ = std::move(plan);
  counts_ = FaultCounts{};
  put_matches_ = read_matches_ = 0;
  put_log_.clear();
  injected_.clear();
}

FaultCounts FaultController::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

std::vector<std::string> FaultController::put_log() const {
  absl::MutexLock lock(&mu_);
  return put_log_;
}

std::vector<InjectedFault> FaultController::injected() const {
  absl::MutexLock lock(&mu_);
  return injected_;
}

double FaultController::keep_fraction() const {
  absl::MutexLock lock(&mu_);
  return plan_.keep_fraction;
}

bool FaultController::Matches(const FaultPoint& point, std::string_view name, uint64_t& matched) {
  if (point.kind == FaultKind::kNone || name.substr(0, point.prefix.size()) != point.prefix) return false;
  ++matched;
  return point.nth == 0 || matched == point.nth;
}

FaultKind FaultController::OnPut(std::string_view name) {
  absl::MutexLock lock(&mu_);
  uint64_t call = ++counts_.puts;
  put_log_.emplace_back(name);
  if (plan_.put.kind == FaultKind::kFlip || !Matches(plan_.put, name, put_matches_)) return FaultKind::kNone;
  ++counts_.faults;
  injected_.push_back({plan_.put.kind, std::string(name), call});
  return plan_.put.kind;
}

FaultKind FaultController::OnRead(std::string_view name) {
  absl::MutexLock lock(&mu_);
  uint64_t call = ++counts_.reads;
  bool read_kind = plan_.read.kind == FaultKind::kError || plan_.read.kind == FaultKind::kFlip;
  if (!read_kind || !Matches(plan_.read, name, read_matches_)) return FaultKind::kNone;
  ++counts_.faults;
  injected_.push_back({plan_.read.kind, std::string(name), call});
  return plan_.read.kind;
}

void FaultController::OnStat() {
  absl::MutexLock lock(&mu_);
  ++counts_.stats;
}

void FaultController::OnList() {
  absl::MutexLock lock(&mu_);
  ++counts_.lists;
}

void FaultController::OnDelete() {
  absl::MutexLock lock(&mu_);
  ++counts_.deletes;
}

namespace {

class FaultStore final : public Store {
 public:
  FaultStore(std::unique_ptr<Store> owned, Store& inner, std::shared_ptr<FaultController> controller)
      : owned_(std::move(owned)), inner_(inner), controller_(std::move(controller)) {}

  absl::Status Put(std::string_view name, ByteView data) override {
    return DoPut(name, data, false);
  }

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    return DoPut(name, data, true);
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    FaultKind fault = controller_->OnRead(name);
    if (fault == FaultKind::kError) return Injected(name, "get failed");
    return MaybeFlip(fault, inner_.Get(name));
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    FaultKind fault = controller_->OnRead(name);
    if (fault == FaultKind::kError) return Injected(name, "range get failed");
    return MaybeFlip(fault, inner_.GetRange(name, offset, length));
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    controller_->OnStat();
    return inner_.Stat(name);
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    controller_->OnList();
    return inner_.List(prefix, fn);
  }

  absl::Status Delete(std::string_view name) override {
    controller_->OnDelete();
    return inner_.Delete(name);
  }

  // Transparent, so messages read as the inner store's; an injected fault
  // says so in its message.
  std::string Describe() const override { return inner_.Describe(); }
  int ParallelWrites() const override { return inner_.ParallelWrites(); }
  uint32_t DefaultPackSize() const override { return inner_.DefaultPackSize(); }
  absl::Status Prepare() override { return inner_.Prepare(); }
  absl::Status CheckDeletable() override { return inner_.CheckDeletable(); }

 private:
  absl::Status DoPut(std::string_view name, ByteView data, bool if_absent) {
    FaultKind fault = controller_->OnPut(name);
    auto write = [&](ByteView bytes) {
      return if_absent ? inner_.PutIfAbsent(name, bytes) : inner_.Put(name, bytes);
    };
    switch (fault) {
      case FaultKind::kError:
        return Injected(name, "put failed; nothing was written");
      case FaultKind::kTorn: {
        absl::Status s = write(Prefix(data));
        if (!s.ok()) return s;
        return Injected(name, StoreCat("put failed after ", Prefix(data).size(), " of ", data.size(),
                                       " bytes were written"));
      }
      case FaultKind::kTruncate:
        return write(Prefix(data));
      default:
        return write(data);
    }
  }

  ByteView Prefix(ByteView data) const {
    if (data.empty()) return data;
    double fraction = std::clamp(controller_->keep_fraction(), 0.0, 1.0);
    size_t keep = static_cast<size_t>(static_cast<double>(data.size()) * fraction);
    return data.first(std::min(keep, data.size() - 1));
  }

  static absl::StatusOr<Bytes> MaybeFlip(FaultKind fault, absl::StatusOr<Bytes> data) {
    if (fault == FaultKind::kFlip && data.ok() && !data->empty()) (*data)[data->size() / 2] ^= 0x01;
    return data;
  }

  absl::Status Injected(std::string_view name, std::string_view what) const {
    return ObjectError(absl::StatusCode::kUnavailable, Describe(), name,
                       StoreCat("injected fault: ", what));
  }

  std::unique_ptr<Store> owned_;  // null when not owning
  Store& inner_;
  std::shared_ptr<FaultController> controller_;
};

}  // namespace

std::unique_ptr<Store> NewFaultStore(std::unique_ptr<Store> inner,
                                     std::shared_ptr<FaultController> controller) {
  Store& ref = *inner;
  return std::make_unique<FaultStore>(std::move(inner), ref, std::move(controller));
}

std::unique_ptr<Store> NewFaultStore(Store& inner, std::shared_ptr<FaultController> controller) {
  return std::make_unique<FaultStore>(nullptr, inner, std::move(controller));
}

std::unique_ptr<Store> NewFaultStore(std::unique_ptr<Store> inner, FaultPlan plan) {
  return NewFaultStore(std::move(inner), std::make_shared<FaultController>(std::move(plan)));
}

}  // namespace coffer

#include "sim/lock_queue.h"

namespace migsim::sim {

int LockQueue::others_mask(TxId tx) const {
  const auto it = held_.find(tx);
  const int mine = it == held_.end() ? 0 : it->second;
  int mask = 0;
  for (const auto& [mode, count] : mode_count_) {
    const int others = count - ((mine & (1 << mode)) ? 1 : 0);
    if (others > 0) mask |= 1 << mode;
  }
  return mask;
}

bool LockQueue::request(TxId tx, LockMode mode) {
  const auto it = held_.find(tx);
  const int mine = it == held_.end() ? 0 : it->second;
  const int bit = mode_bit(mode);
  const int conflicts = conflict_mask(mode);
  auto grant = [&] {
    held_[tx] |= bit;
    ++mode_count_[static_cast<int>(mode)];
  };
  if (mine & bit) return true;  // already held: granted locally
  const int others = others_mask(tx);
  int wait_mask = 0;
  for (const Waiter& w : queue_) wait_mask |= mode_bit(w.mode);
  if (!(conflicts & (wait_mask | others))) {
    grant();
    return true;
  }
  if (mine != 0) {
    // A requester holding a lock that an earlier waiter waits for goes ahead of it.
    int ahead = 0;
    for (auto w = queue_.begin(); w != queue_.end(); ++w) {
      if (conflict_mask(w->mode) & mine) {
        if (!(conflicts & ahead) && !(conflicts & others)) {
          grant();
          return true;
        }
        queue_.insert(w, {tx, mode});
        return false;
      }
      ahead |= mode_bit(w->mode);
    }
  }
  queue_.push_back({tx, mode});
  return false;
}

std::vector<TxId> LockQueue::wake() {
  std::vector<TxId> granted;
  int ahead = 0;
  for (auto w = queue_.begin(); w != queue_.end();) {
    if (!(conflict_mask(w->mode) & (ahead | others_mask(w->tx)))) {
      held_[w->tx] |= mode_bit(w->mode);
      ++mode_count_[static_cast<int>(w->mode)];
      granted.push_back(w->tx);
      w = queue_.erase(w);
    } else {
      ahead |= mode_bit(w->mode);
      ++w;
    }
  }
  return granted;
}

std::vector<TxId> LockQueue::release_all(TxId tx) {
  const auto it = held_.find(tx);
  if (it != held_.end()) {
    for (int mode = 1; mode <= 8; ++mode) {
      if (it->second & (1 << mode)) {
        if (--mode_count_[mode] == 0) mode_count_.erase(mode);
      }
    }
    held_.erase(it);
  }
  return wake();
}

std::vector<TxId> LockQueue::cancel(TxId tx) {
  for (auto w = queue_.begin(); w != queue_.end(); ++w) {
    if (w->tx == tx) {
      queue_.erase(w);
      break;
    }
  }
  return wake();
}

}  // namespace migsim::sim

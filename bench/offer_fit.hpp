// How many tasks of one shape an offer holds: shared by the benchmarks'
// frameworks (launch, failover, fleet throughput, fleet scale).
#ifndef AGORA_BENCH_OFFER_FIT_HPP_
#define AGORA_BENCH_OFFER_FIT_HPP_

#include <algorithm>
#include <string>

#include "agora/v1/common.pb.h"

namespace agora::bench {

// The sum of the offer's scalar resources named `name`.
inline double OfferScalar(const v1::Offer& offer, const std::string& name) {
  double total = 0;
  for (const v1::Resource& resource : offer.resources())
    if (resource.name() == name) total += resource.scalar();
  return total;
}

// Tasks of `cpus` and `mem` MiB each that fit the offer's cpus and mem.
inline int TasksThatFit(const v1::Offer& offer, double cpus, double mem) {
  return static_cast<int>(
      std::min(OfferScalar(offer, "cpus") / cpus + 1e-9, OfferScalar(offer, "mem") / mem + 1e-9));
}

}  // namespace agora::bench

#endif  // AGORA_BENCH_OFFER_FIT_HPP_

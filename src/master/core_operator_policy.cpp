// MasterCore: the operator's allocation policy, quota and weights. Each
// write is validated, persisted in the registry, and only then applied to
// the master's books and the allocator (PersistThen). Recovered from the
// registry on start-up, so a restarted or newly elected master allocates
// under the same policy.
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {
namespace {

// Quota takes scalars only (cpus, mem, disk, gpus, ...), never reserved to a
// role: the role is the quota's own.
absl::StatusOr<Resources> QuotaResources(
    const google::protobuf::RepeatedPtrField<v1::Resource>& resources, const std::string& field) {
  for (int i = 0; i < resources.size(); ++i) {
    const v1::Resource& resource = resources.Get(i);
    if (resource.type() != v1::Resource::SCALAR) {
      return InvalidField(IndexedField(field, i),
                          absl::StrCat("'", resource.name(), "' is not a scalar resource"));
    }
    if (resource.reservations_size() > 0) {
      return InvalidField(IndexedField(field, i), "quota resources carry no reservation");
    }
  }
  auto parsed = Resources::FromProto(resources, field);
  if (!parsed.ok()) return parsed.status();
  return parsed->ScalarQuantities();
}

}  // namespace

void MasterCore::PersistThen(std::vector<internal::Operation> operations,
                             std::function<void()> apply, OperatorDone done) {
  if (stepped_down_ || shut_down_) {
    done(absl::UnavailableError("this master stepped down; retry on the leader"));
    return;
  }
  registry_->Apply(std::move(operations), [this, apply = std::move(apply),
                                           done = std::move(done)](absl::Status status) {
    if (!status.ok()) {
      StepDown(status);
      done(absl::UnavailableError(absl::StrCat(
          "the registry write failed (this master stepped down): ", status.message())));
      return;
    }
    if (stepped_down_ || shut_down_) {
      done(absl::UnavailableError("this master shut down before applying the change"));
      return;
    }
    if (apply) apply();
    done(absl::OkStatus());
  });
}

void MasterCore::RecoverPolicy(const internal::Registry& registry) {
  for (const auto& quota : registry.quotas()) {
    auto guarantee = Resources::FromProto(quota.guarantees(), "guarantees");
    auto limit = Resources::FromProto(quota.limits(), "limits");
    if (!guarantee.ok() || !limit.ok()) {
      LOG(ERROR) << "Ignoring the unreadable quota of role=" << quota.role() << " in the registry";
      continue;
    }
    quotas_[quota.role()] = quota;
    CheckAllocation(allocation_->UpdateQuota(quota.role(), *guarantee, *limit), "UpdateQuota");
  }
  for (const auto& weight : registry.weights()) weights_[weight.role()] = weight.weight();
  if (!weights_.empty()) CheckAllocation(allocation_->UpdateWeights(weights_), "UpdateWeights");
}

v1::GetQuotaResponse MasterCore::GetQuota() const {
  v1::GetQuotaResponse response;
  for (const auto& [role, quota] : quotas_) *response.add_quotas() = quota;
  return response;
}

void MasterCore::UpdateQuota(const v1::UpdateQuotaRequest& request, OperatorDone done) {
  CountMessage("operator_update_quota");
  struct Change {
    std::string role;
    Resources guarantee;
    Resources limit;
  };
  std::vector<Change> changes;
  std::set<std::string> seen;
  for (int i = 0; i < request.quotas_size(); ++i) {
    const v1::QuotaConfig& quota = request.quotas(i);
    const std::string field = IndexedField("quotas", i);
    if (auto s = ValidateRole(SubField(field, "role"), quota.role()); !s.ok()) return done(s);
    if (quota.role() == "*") {
      return done(InvalidField(SubField(field, "role"), "the default role '*' takes no quota"));
    }
    if (!seen.insert(quota.role()).second) {
      return done(InvalidField(SubField(field, "role"),
                               absl::StrCat("role '", quota.role(), "' is listed twice")));
    }
    auto guarantee = QuotaResources(quota.guarantees(), SubField(field, "guarantees"));
    if (!guarantee.ok()) return done(guarantee.status());
    auto limit = QuotaResources(quota.limits(), SubField(field, "limits"));
    if (!limit.ok()) return done(limit.status());
    for (const ResourceEntry& entry : *guarantee) {
      bool limited = false;
      for (const ResourceEntry& cap : *limit) limited |= cap.name == entry.name;
      if (limited && limit->ScalarMilli(entry.name) < entry.scalar_milli) {
        return done(InvalidField(
            SubField(field, "guarantees"),
            absl::StrCat(entry.name, " ", FormatMilli(entry.scalar_milli), " exceeds the limit ",
                         FormatMilli(limit->ScalarMilli(entry.name)))));
      }
    }
    changes.push_back(Change{quota.role(), *std::move(guarantee), *std::move(limit)});
  }
  // The guarantees after this update, summed over every role, against the
  // total of the agents admitted (reachable or not; gone ones are not). The
  // registry's state includes updates still being written, so two updates
  // in flight cannot together overcommit the cluster. Only a resource whose
  // guaranteed sum grows is checked: lowering or removing a guarantee never
  // needs capacity, even while an earlier forced one exceeds the cluster.
  if (!request.force()) {
    std::map<std::string, Resources> guarantees;
    for (const auto& quota : registry_->state().quotas()) {
      auto parsed = Resources::FromProto(quota.guarantees());
      if (parsed.ok()) guarantees[quota.role()] = parsed->ScalarQuantities();
    }
    Resources before, wanted, total;
    for (const auto& [role, guarantee] : guarantees) before += guarantee;
    for (const Change& change : changes) guarantees[change.role] = change.guarantee;
    for (const auto& [role, guarantee] : guarantees) wanted += guarantee;
    for (const auto& [id, agent] : agents_) total += agent->total.ScalarQuantities();
    for (const ResourceEntry& entry : wanted) {
      if (entry.scalar_milli > before.ScalarMilli(entry.name) &&
          total.ScalarMilli(entry.name) < entry.scalar_milli) {
        return done(absl::FailedPreconditionError(absl::StrCat(
            "the guarantees of all roles would need ", entry.name, " ",
            FormatMilli(entry.scalar_milli), " but the cluster's agents have ",
            FormatMilli(total.ScalarMilli(entry.name)), "; pass force to set them anyway")));
      }
    }
  }
  std::vector<internal::Operation> operations;
  for (int i = 0; i < request.quotas_size(); ++i) {
    const v1::QuotaConfig& quota = request.quotas(i);
    internal::Operation& op = operations.emplace_back();
    if (quota.guarantees().empty() && quota.limits().empty()) {
      op.set_type(internal::Operation::REMOVE_QUOTA);
      op.set_role(quota.role());
    } else {
      op.set_type(internal::Operation::PUT_QUOTA);
      *op.mutable_quota() = quota;
    }
  }
  auto apply = [this, request, changes = std::move(changes)] {
    for (int i = 0; i < request.quotas_size(); ++i) {
      const v1::QuotaConfig& quota = request.quotas(i);
      const Change& change = changes[i];
      if (quota.guarantees().empty() && quota.limits().empty()) {
        quotas_.erase(quota.role());
      } else {
        quotas_[quota.role()] = quota;
      }
      CheckAllocation(allocation_->UpdateQuota(change.role, change.guarantee, change.limit),
                      "UpdateQuota");
      LOG(INFO) << "Quota of role=" << change.role << " set: guarantee=" << change.guarantee
                << " limit=" << change.limit << (request.force() ? " (forced)" : "");
    }
    RequestAllocation();
  };
  PersistThen(std::move(operations), std::move(apply), std::move(done));
}

v1::GetWeightsResponse MasterCore::GetWeights() const {
  v1::GetWeightsResponse response;
  for (const auto& [role, weight] : weights_) {
    v1::WeightInfo* info = response.add_weights();
    info->set_role(role);
    info->set_weight(weight);
  }
  return response;
}

void MasterCore::UpdateWeights(const v1::UpdateWeightsRequest& request, OperatorDone done) {
  CountMessage("operator_update_weights");
  std::map<std::string, double> weights;
  std::vector<internal::Operation> operations;
  for (int i = 0; i < request.weights_size(); ++i) {
    const v1::WeightInfo& info = request.weights(i);
    const std::string field = IndexedField("weights", i);
    if (auto s = ValidateRole(SubField(field, "role"), info.role()); !s.ok()) return done(s);
    if (auto s = ValidatePositive(SubField(field, "weight"), info.weight()); !s.ok())
      return done(s);
    if (!weights.emplace(info.role(), info.weight()).second) {
      return done(InvalidField(SubField(field, "role"),
                               absl::StrCat("role '", info.role(), "' is listed twice")));
    }
    internal::Operation& op = operations.emplace_back();
    op.set_type(internal::Operation::PUT_WEIGHT);
    *op.mutable_weight() = info;
  }
  auto apply = [this, weights] {
    for (const auto& [role, weight] : weights) {
      weights_[role] = weight;
      LOG(INFO) << "Weight of role=" << role << " set to " << weight;
    }
    CheckAllocation(allocation_->UpdateWeights(weights), "UpdateWeights");
    RequestAllocation();
  };
  PersistThen(std::move(operations), std::move(apply), std::move(done));
}

void MasterCore::FillRolePolicy(std::map<std::string, v1::RoleSummary>* roles) const {
  for (const auto& [role, quota] : quotas_) (*roles)[role].set_name(role);
  for (const auto& [role, weight] : weights_) (*roles)[role].set_name(role);
  for (auto& [role, summary] : *roles) {
    auto weight = weights_.find(role);
    summary.set_weight(weight != weights_.end() ? weight->second : 1);
    auto quota = quotas_.find(role);
    if (quota != quotas_.end()) *summary.mutable_quota() = quota->second;
  }
}

}  // namespace agora::master

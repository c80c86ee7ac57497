// Resources <-> agora.v1.Resource, with validation naming the bad field.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "common/validation.hpp"

namespace agora {
namespace {

// INVALID_ARGUMENT "<field>: <what>" with a FieldViolation naming the field.
absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return InvalidField(field, what);
}

absl::Status ConvertReservations(const v1::Resource& proto, absl::string_view prefix,
                                 ResourceEntry* entry) {
  for (int i = 0; i < proto.reservations_size(); ++i) {
    const v1::ReservationInfo& info = proto.reservations(i);
    std::string field = absl::StrCat(prefix, "reservations[", i, "]");
    Reservation reservation;
    switch (info.type()) {
      case v1::ReservationInfo::STATIC:
        reservation.type = Reservation::Type::kStatic;
        break;
      case v1::ReservationInfo::DYNAMIC:
        reservation.type = Reservation::Type::kDynamic;
        break;
      default:
        return FieldError(field + ".type", "must be STATIC or DYNAMIC");
    }
    if (absl::Status s = ValidateRole(info.role()); !s.ok()) {
      return FieldError(field + ".role", s.message());
    }
    if (info.role() == "*") {
      return FieldError(field + ".role", "'*' cannot be reserved for; omit the reservation");
    }
    if (entry->reserved()) {
      const Reservation& below = entry->reservations.back();
      if (!IsStrictSubrole(info.role(), below.role)) {
        return FieldError(
            field + ".role",
            absl::StrCat("'", info.role(), "' must be a strict sub-role of '", below.role, "'"));
      }
      if (reservation.type == Reservation::Type::kStatic &&
          below.type == Reservation::Type::kDynamic) {
        return FieldError(field + ".type", "a STATIC reservation cannot refine a DYNAMIC one");
      }
    }
    reservation.role = info.role();
    reservation.principal = info.principal();
    entry->reservations.push_back(std::move(reservation));
  }
  return absl::OkStatus();
}

absl::Status ConvertValue(const v1::Resource& proto, absl::string_view prefix,
                          ResourceEntry* entry) {
  const bool has_ranges = proto.ranges().range_size() > 0;
  const bool has_set = proto.set().item_size() > 0;
  switch (proto.type()) {
    case v1::Resource::SCALAR:
      entry->type = ResourceEntry::Type::kScalar;
      if (has_ranges || has_set) {
        return FieldError(absl::StrCat(prefix, has_ranges ? "ranges" : "set"),
                          "must be empty for a SCALAR resource");
      }
      if (!MilliFromDouble(proto.scalar(), &entry->scalar_milli)) {
        return FieldError(absl::StrCat(prefix, "scalar"), absl::StrCat(proto.scalar(),
                                                                       " is not a finite number in "
                                                                       "[0, 1e12]"));
      }
      return absl::OkStatus();
    case v1::Resource::RANGES:
      entry->type = ResourceEntry::Type::kRanges;
      if (proto.scalar() != 0 || has_set) {
        return FieldError(absl::StrCat(prefix, has_set ? "set" : "scalar"),
                          "must be empty for a RANGES resource");
      }
      for (int i = 0; i < proto.ranges().range_size(); ++i) {
        const v1::Range& range = proto.ranges().range(i);
        if (range.begin() > range.end()) {
          return FieldError(absl::StrCat(prefix, "ranges.range[", i, "]"),
                            absl::StrCat("begin ", range.begin(), " > end ", range.end()));
        }
        entry->ranges.push_back({range.begin(), range.end()});
      }
      NormalizeRanges(&entry->ranges);
      return absl::OkStatus();
    case v1::Resource::SET:
      entry->type = ResourceEntry::Type::kSet;
      if (proto.scalar() != 0 || has_ranges) {
        return FieldError(absl::StrCat(prefix, has_ranges ? "ranges" : "scalar"),
                          "must be empty for a SET resource");
      }
      for (int i = 0; i < proto.set().item_size(); ++i) {
        if (proto.set().item(i).empty()) {
          return FieldError(absl::StrCat(prefix, "set.item[", i, "]"), "is empty");
        }
        entry->set.push_back(proto.set().item(i));
      }
      std::sort(entry->set.begin(), entry->set.end());
      entry->set.erase(std::unique(entry->set.begin(), entry->set.end()), entry->set.end());
      return absl::OkStatus();
    default:
      return FieldError(absl::StrCat(prefix, "type"), "must be SCALAR, RANGES or SET");
  }
}

absl::Status ConvertOne(const v1::Resource& proto, absl::string_view prefix, ResourceEntry* entry) {
  if (absl::Status s = ValidateResourceName(proto.name()); !s.ok()) {
    return FieldError(absl::StrCat(prefix, "name"), s.message());
  }
  entry->name = proto.name();
  if (absl::Status s = ConvertValue(proto, prefix, entry); !s.ok()) return s;
  const bool scalar_name = entry->name == Resources::kCpus || entry->name == Resources::kMem ||
                           entry->name == Resources::kDisk || entry->name == Resources::kGpus;
  if (scalar_name && entry->type != ResourceEntry::Type::kScalar) {
    return FieldError(absl::StrCat(prefix, "type"), absl::StrCat(entry->name, " must be SCALAR"));
  }
  if (entry->name == Resources::kPorts && entry->type != ResourceEntry::Type::kRanges) {
    return FieldError(absl::StrCat(prefix, "type"), "ports must be RANGES");
  }
  entry->revocable = proto.revocable();
  return ConvertReservations(proto, prefix, entry);
}

}  // namespace

absl::StatusOr<Resources> Resources::FromProto(const v1::Resource& resource) {
  ResourceEntry entry;
  if (absl::Status s = ConvertOne(resource, "", &entry); !s.ok()) return s;
  Resources out;
  out.Add(entry);
  return out;
}

absl::StatusOr<Resources> Resources::FromProto(
    const google::protobuf::RepeatedPtrField<v1::Resource>& resources, absl::string_view field) {
  Resources out;
  for (int i = 0; i < resources.size(); ++i) {
    ResourceEntry entry;
    std::string prefix = absl::StrCat(field, "[", i, "].");
    if (absl::Status s = ConvertOne(resources.Get(i), prefix, &entry); !s.ok()) {
      return s;
    }
    out.Add(entry);
  }
  return out;
}

google::protobuf::RepeatedPtrField<v1::Resource> Resources::ToProto() const {
  google::protobuf::RepeatedPtrField<v1::Resource> out;
  out.Reserve(static_cast<int>(size()));
  for (const ResourceEntry& entry : *this) {
    v1::Resource* proto = out.Add();
    proto->set_name(entry.name);
    switch (entry.type) {
      case ResourceEntry::Type::kScalar:
        proto->set_type(v1::Resource::SCALAR);
        proto->set_scalar(entry.scalar());
        break;
      case ResourceEntry::Type::kRanges:
        proto->set_type(v1::Resource::RANGES);
        for (const ValueRange& r : entry.ranges) {
          v1::Range* range = proto->mutable_ranges()->add_range();
          range->set_begin(r.begin);
          range->set_end(r.end);
        }
        break;
      case ResourceEntry::Type::kSet:
        proto->set_type(v1::Resource::SET);
        for (const std::string& item : entry.set) {
          proto->mutable_set()->add_item(item);
        }
        break;
    }
    for (const Reservation& r : entry.reservations) {
      v1::ReservationInfo* info = proto->add_reservations();
      info->set_type(r.type == Reservation::Type::kStatic ? v1::ReservationInfo::STATIC
                                                          : v1::ReservationInfo::DYNAMIC);
      info->set_role(r.role);
      info->set_principal(r.principal);
    }
    proto->set_revocable(entry.revocable);
  }
  return out;
}

}  // namespace agora

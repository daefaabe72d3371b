#include "cpu/decode/zydis_decoder.h"

#include <Zydis/Zydis.h>

#include <array>
#include <utility>

namespace ring1 {

namespace {

Mnemonic map_mnemonic(ZydisMnemonic m) {
  switch (m) {
#define X(name)                \
  case ZYDIS_MNEMONIC_##name: \
    return Mnemonic::name;
#include "cpu/isa/mnemonics.def"
#undef X
    default:
      return Mnemonic::Invalid;
  }
}

// Zydis register -> (class, number). 8-bit numbers follow the ModRM encoding (AL CL DL BL AH CH DH BH).
bool map_register(ZydisRegister r, RegClass& cls, u8& num) {
  if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BH) {
    cls = RegClass::Gpr8;
    num = static_cast<u8>(r - ZYDIS_REGISTER_AL);
    return true;
  }
  if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) {
    cls = RegClass::Gpr16;
    num = static_cast<u8>(r - ZYDIS_REGISTER_AX);
    return true;
  }
  if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) {
    cls = RegClass::Gpr32;
    num = static_cast<u8>(r - ZYDIS_REGISTER_EAX);
    return true;
  }
  if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) {
    cls = RegClass::Seg;
    num = static_cast<u8>(r - ZYDIS_REGISTER_ES);
    return true;
  }
  if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) {
    cls = RegClass::Cr;
    num = static_cast<u8>(r - ZYDIS_REGISTER_CR0);
    return true;
  }
  if (r >= ZYDIS_REGISTER_DR0 && r <= ZYDIS_REGISTER_DR15) {
    cls = RegClass::Dr;
    num = static_cast<u8>(r - ZYDIS_REGISTER_DR0);
    return true;
  }
  cls = RegClass::Other;
  num = 0;
  return r == ZYDIS_REGISTER_NONE;
}

// Base/index register of a memory operand as a 0..7 GPR number (8 = none). 16-bit addressing uses the
// 16-bit registers; the effective-address mask truncates the sum, as the SDM's 16-bit forms require.
u8 addr_reg(ZydisRegister r) {
  if (r == ZYDIS_REGISTER_NONE) return 8;
  if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return static_cast<u8>(r - ZYDIS_REGISTER_AX);
  if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) return static_cast<u8>(r - ZYDIS_REGISTER_EAX);
  return 0xFF;  // EIP-relative and the like do not exist in 32-bit code
}

u8 scale_shift(u8 scale) {
  switch (scale) {
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    default: return 0;
  }
}

}  // namespace

struct InsnDecoder::Impl {
  ::ZydisDecoder dec32, dec16;
  ZydisFormatter fmt;
};

InsnDecoder::InsnDecoder() : impl_(std::make_unique<Impl>()) {
  ZydisDecoderInit(&impl_->dec32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
  ZydisDecoderInit(&impl_->dec16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
  ZydisFormatterInit(&impl_->fmt, ZYDIS_FORMATTER_STYLE_INTEL);
}

InsnDecoder::~InsnDecoder() = default;

DecodeStatus InsnDecoder::decode(const u8* bytes, u32 avail, bool code32, DecodedInsn& out) const {
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
  const ::ZydisDecoder* d = code32 ? &impl_->dec32 : &impl_->dec16;
  ZyanStatus st = ZydisDecoderDecodeFull(d, bytes, avail, &zi, zops);
  if (st == ZYDIS_STATUS_NO_MORE_DATA) return DecodeStatus::NeedMoreBytes;
  if (!ZYAN_SUCCESS(st)) return DecodeStatus::Invalid;

  out = DecodedInsn{};
  out.mnemonic = map_mnemonic(zi.mnemonic);
  out.length = zi.length;
  out.operand_size = static_cast<u8>(zi.operand_width / 8);
  out.address_size = static_cast<u8>(zi.address_width / 8);
  out.rep = (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE)) != 0;
  out.repne = (zi.attributes & ZYDIS_ATTRIB_HAS_REPNE) != 0;
  out.lock = (zi.attributes & ZYDIS_ATTRIB_HAS_LOCK) != 0;
  out.opcode = zi.opcode;
  // SDM vol. 2, 2.1.1: with several segment prefixes the last one counts; Zydis reports the effective one.
  static constexpr std::pair<ZyanU64, u8> kSegmentPrefixes[] = {
      {ZYDIS_ATTRIB_HAS_SEGMENT_ES, 0}, {ZYDIS_ATTRIB_HAS_SEGMENT_CS, 1}, {ZYDIS_ATTRIB_HAS_SEGMENT_SS, 2},
      {ZYDIS_ATTRIB_HAS_SEGMENT_DS, 3}, {ZYDIS_ATTRIB_HAS_SEGMENT_FS, 4}, {ZYDIS_ATTRIB_HAS_SEGMENT_GS, 5}};
  for (auto [attr, s] : kSegmentPrefixes)
    if (zi.attributes & attr) out.seg_override = s;
  out.escape = zi.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT ? 0 : zi.opcode_map == ZYDIS_OPCODE_MAP_0F ? 1 : 2;
  if (zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT && zi.opcode_map != ZYDIS_OPCODE_MAP_0F) {
    out.mnemonic = Mnemonic::Invalid;  // 0F38/0F3A/VEX/... are beyond a Pentium-class integer core
  }

  u8 n = 0;
  for (u8 k = 0; k < zi.operand_count_visible && n < 4; ++k) {
    const ZydisDecodedOperand& z = zops[k];
    Operand& o = out.op[n++];
    o.size = static_cast<u8>(z.size / 8);
    switch (z.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER:
        o.kind = OpKind::Reg;
        if (!map_register(z.reg.value, o.reg_class, o.reg)) out.mnemonic = Mnemonic::Invalid;
        break;
      case ZYDIS_OPERAND_TYPE_MEMORY: {
        o.kind = OpKind::Mem;
        o.seg = static_cast<u8>(z.mem.segment - ZYDIS_REGISTER_ES);
        o.base = addr_reg(z.mem.base);
        o.index = addr_reg(z.mem.index);
        o.scale = scale_shift(z.mem.scale);
        o.disp = static_cast<u32>(z.mem.disp.value);
        if (o.base == 0xFF || o.index == 0xFF || z.mem.segment < ZYDIS_REGISTER_ES ||
            z.mem.segment > ZYDIS_REGISTER_GS)
          out.mnemonic = Mnemonic::Invalid;
        break;
      }
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        o.kind = OpKind::Imm;
        o.imm = static_cast<u32>(z.imm.value.u);
        o.relative = z.imm.is_relative;
        break;
      case ZYDIS_OPERAND_TYPE_POINTER:
        o.kind = OpKind::Ptr;
        o.imm = z.ptr.offset;
        o.ptr_selector = z.ptr.segment;
        break;
      default:
        o.kind = OpKind::None;
        break;
    }
  }
  out.operand_count = n;
  return DecodeStatus::Ok;
}

std::string InsnDecoder::disassemble(const u8* bytes, u32 avail, bool code32, u32 eip) const {
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
  const ::ZydisDecoder* d = code32 ? &impl_->dec32 : &impl_->dec16;
  if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(d, bytes, avail, &zi, zops))) return "(bad)";
  std::array<char, 128> buf{};
  if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&impl_->fmt, &zi, zops, zi.operand_count_visible, buf.data(),
                                                    buf.size(), eip, nullptr)))
    return "(bad)";
  return std::string(buf.data());
}

std::string_view mnemonic_name(Mnemonic m) {
  static constexpr std::string_view names[] = {
      "(invalid)",
#define X(name) #name,
#include "cpu/isa/mnemonics.def"
#undef X
  };
  auto i = static_cast<size_t>(m);
  return i < std::size(names) ? names[i] : "(invalid)";
}

}  // namespace ring1

#include "jit/translator.h"

#include <stdexcept>

namespace ring1::jit {

Translator::Translator(Cpu& cpu, TranslatorOptions options)
    : cpu_(cpu), options_(options), arena_(options.arena_bytes) {
  if (!arena_.valid()) throw std::runtime_error("the translation tier could not map memory for its code");
  cpu_.translation = TranslationHook{&Translator::run, this};
}

Translator::~Translator() { cpu_.translation = TranslationHook{}; }

Translation Translator::translate(const Block& b) {
  if (Translation t = compile_block(cpu_, b, arena_, state_, stats_.compiled); t.code) return t;
  flush();  // full: start an empty arena (every older translation is now stale) and compile again
  return compile_block(cpu_, b, arena_, state_, stats_.compiled);
}

void Translator::run(void* context, Cpu& cpu, const Block*& b, const Insn*& i, bool may_chain) {
  auto* self = static_cast<Translator*>(context);
  if (b->jit_epoch != self->arena_.epoch()) [[unlikely]] {
    if (++b->heat < self->options_.hot_after) return;
    const Translation t = self->translate(*b);
    b->jit_code = t.code;
    b->jit_chain = t.chain;
    b->jit_epoch = self->arena_.epoch();
  }
  if (!b->jit_code) [[unlikely]] return;  // did not fit even in an empty arena: the interpreter runs it
  ++self->stats_.entries;
  CallOutState& s = self->state_;
  s.current = b;
  s.may_chain = may_chain;
  const u32 done = reinterpret_cast<TranslatedFn>(b->jit_code)(&cpu);
  b = s.current;
  i = b->insns.data() + done;
  if (s.pending) [[unlikely]] {
    std::exception_ptr e = std::move(s.pending);
    s.pending = nullptr;
    std::rethrow_exception(e);
  }
}

}  // namespace ring1::jit

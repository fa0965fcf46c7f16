/**
 * The one argument of a mutation, `input: <Name>Input!` (GitHub's and Shopify's convention: a
 * mutation can take more later without breaking clients). Validated as a nested object, so a
 * message names the field as the client wrote it: "input.rating must be an integer from 1 to 10".
 */
import { ValidateNested } from 'class-validator';
import { ArgsType, Field, type ClassType } from 'type-graphql';

export interface MutationArgs<T> {
  input: T;
}

/** The arguments class of a mutation taking `input` of `inputClass`; `empty` makes it optional (all its fields are). */
export function MutationInput<T extends object>(inputClass: ClassType<T>, description: string, options: { empty?: T } = {}): ClassType<MutationArgs<T>> {
  @ArgsType()
  class InputArgs implements MutationArgs<T> {
    @Field(() => inputClass, { description, ...(options.empty ? { defaultValue: options.empty } : {}) })
    @ValidateNested()
    input!: T;
  }
  return InputArgs;
}

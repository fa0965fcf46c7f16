/**
 * Argument validation as clients read it: one decorator per integer range whose message names
 * the argument, the allowed range and the value given, and the message of a failed validation
 * built from those messages alone (type-graphql's own says only "Argument Validation Error" and
 * carries every argument of the call back in its extensions).
 */
import { IsInt, Max, Min, type ValidationArguments, type ValidationError } from 'class-validator';

/** An integer argument from `min` to `max`; the message says so and echoes the one bad value. */
export function IntRange(min: number, max: number): PropertyDecorator {
  const message = (args: ValidationArguments) => `${args.property} must be an integer from ${min} to ${max}, got ${JSON.stringify(args.value)}`;
  return (target, key) => {
    IsInt({ message })(target, key);
    Min(min, { message })(target, key);
    Max(max, { message })(target, key);
  };
}

/** An integer argument of at least `min`. */
export function IntAtLeast(min: number): PropertyDecorator {
  const message = (args: ValidationArguments) => `${args.property} must be an integer of at least ${min}, got ${JSON.stringify(args.value)}`;
  return (target, key) => {
    IsInt({ message })(target, key);
    Min(min, { message })(target, key);
  };
}

/** The distinct messages of failed validations, nested inputs (`filter.minMembers`) included. */
export function validationMessages(errors: readonly ValidationError[], path = ''): { arguments: string[]; messages: string[] } {
  const names: string[] = [];
  const messages = new Set<string>();
  for (const error of errors) {
    const name = path + error.property;
    if (error.constraints) {
      names.push(name);
      for (const message of Object.values(error.constraints)) messages.add(path === '' ? message : `${path}${message}`);
    }
    const nested = validationMessages(error.children ?? [], `${name}.`);
    names.push(...nested.arguments);
    for (const message of nested.messages) messages.add(message);
  }
  return { arguments: [...new Set(names)], messages: [...messages] };
}

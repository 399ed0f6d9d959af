export {
  createUserService,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  USER_ROLES,
  type UserRole,
  type UserService,
  type UserView,
} from './user-service';
export { hashPassword, verifyPassword, SCRYPT_PARAMS } from './password';

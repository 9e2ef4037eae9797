export { OrganizationDirectory, ouPathText, parseOuPath, type OrgAccount, type OrgSnapshot, type OrgUnit } from './directory.ts';
export { CachedDirectory, DynamoDirectoryStore, type DirectoryStore } from './store.ts';

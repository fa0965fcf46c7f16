import { Query, Resolver } from 'type-graphql';
import { serverInfo } from '../../recsys/server-info';
import { ServerInfoType } from './server-info.type';

@Resolver()
export class ServerInfoResolver {
  @Query(() => ServerInfoType, { nullable: true, description: 'The tensor backend and device serving the model heads.' })
  serverInfo(): ServerInfoType {
    return serverInfo();
  }
}

/** The parts of a container image reference such as `registry:5000/team/app:v1@sha256:…`. */
export interface ImageReference {
    /** Registry, path and repository name, e.g. `registry:5000/team/app`. */
    readonly name: string;
    /** The tag, when the reference has one. */
    readonly tag?: string;
    /** The digest (`algorithm:hex`), when the reference has one. */
    readonly digest?: string;
}

/** A digest that pins an image: sha256 with its 64 lowercase hex digits. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Splits an image reference into name, tag and digest. A colon only starts a tag after the last
 * slash, so the port of `localhost:5000/app` is not mistaken for one.
 */
export function parseImageReference(reference: string): ImageReference {
    const at = reference.indexOf("@");
    const nameAndTag = at === -1 ? reference : reference.slice(0, at);
    const digest = at === -1 ? undefined : reference.slice(at + 1);
    const colon = nameAndTag.lastIndexOf(":");
    const hasTag = colon > nameAndTag.lastIndexOf("/");
    return {
        name: hasTag ? nameAndTag.slice(0, colon) : nameAndTag,
        ...(hasTag ? { tag: nameAndTag.slice(colon + 1) } : {}),
        ...(digest === undefined ? {} : { digest }),
    };
}
